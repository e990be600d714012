"""Training CNNs with torch: device choice, seeding, the ``fit`` loop, metrics, checkpoints,
optimisers and schedules, greedy layer-wise pretraining, data augmentation, transfer learning and
DistributedDataParallel.

    from cnnlab.train import fit, evaluate, make_optimizer, seed_everything
    seed_everything(0)
    opt = make_optimizer("sgd", model.parameters())          # AlexNet: lr 0.01, momentum 0.9, wd 5e-4
    history = fit(model, train_loader, epochs=10, optimizer=opt, val_loader=test_loader)
    plot_history(history)

Run the same script under ``torchrun --nproc_per_node 2 script.py`` and ``fit`` trains with DDP.
"""

from .augment import (Augment, center_crop, horizontal_flip, pca_color_augment, pca_color_eigen,
                      random_crop, random_horizontal_flip, ten_crop, ten_crop_predict)
from .checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from .device import amp_dtype, amp_enabled, autocast, get_device, grad_scaler, model_device, placed, seed_everything
from .distributed import in_torchrun, is_main_process, rank, world_size
from .loop import History, evaluate, fit, plot_history
from .metrics import topk_correct, topk_error
from .optim import make_optimizer, make_scheduler
from .pretrain import pretrain_stacked_encoder
from .transfer import (extract_features, find_head, freeze, linear_svm, param_groups, replace_head,
                       unfreeze)

__all__ = [
    "Augment", "center_crop", "horizontal_flip", "pca_color_augment", "pca_color_eigen",
    "random_crop", "random_horizontal_flip", "ten_crop", "ten_crop_predict",
    "load_checkpoint", "rng_state", "save_checkpoint", "set_rng_state",
    "amp_dtype", "amp_enabled", "autocast", "get_device", "grad_scaler", "model_device", "placed", "seed_everything",
    "in_torchrun", "is_main_process", "rank", "world_size",
    "History", "evaluate", "fit", "plot_history", "topk_correct", "topk_error",
    "make_optimizer", "make_scheduler", "pretrain_stacked_encoder",
    "extract_features", "find_head", "freeze", "linear_svm", "param_groups", "replace_head", "unfreeze",
]

"""Transfer learning helpers: freeze, replace_head, param_groups, extract_features + linear SVM."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from cnnlab.train import (extract_features, find_head, freeze, linear_svm, make_optimizer,  # noqa: E402
                          param_groups, replace_head, unfreeze)


class Net(nn.Module):
    def __init__(self, k=5):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.fc1 = nn.Linear(16, 8)
        self.fc = nn.Linear(8, k)

    def forward(self, x):
        return self.fc(torch.relu(self.fc1(self.features(x))))


def test_freeze_all_but_head():
    net = freeze(Net(), except_="fc")
    trainable = [n for n, p in net.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]                      # fc1 is not "fc"
    freeze(net, **{"except": ["features.0", "fc1"]})
    assert [n for n, p in net.named_parameters() if p.requires_grad] == [
        "features.0.weight", "features.0.bias", "fc1.weight", "fc1.bias"]
    assert all(p.requires_grad for p in unfreeze(net).parameters())
    with pytest.raises(ValueError, match="'head'"):
        freeze(net, except_="head")


def test_replace_head_keeps_in_features():
    net = Net()
    assert find_head(net) == "fc"
    old_fc1 = net.fc1
    replace_head(net, 3)
    assert net.fc.out_features == 3 and net.fc.in_features == 8 and net.fc1 is old_fc1
    assert net(torch.zeros(2, 1, 6, 6)).shape == (2, 3)
    seq = nn.Sequential(nn.Flatten(), nn.Linear(4, 7), nn.ReLU(), nn.Linear(7, 10)).double()
    replace_head(seq, 2)
    assert isinstance(seq[3], nn.Linear) and seq[3].out_features == 2 and seq[3].weight.dtype == torch.float64
    with pytest.raises(ValueError, match="num_classes"):
        replace_head(net, 0)
    with pytest.raises(ValueError, match="no nn.Linear"):
        replace_head(nn.Conv2d(1, 1, 1), 2)
    with pytest.raises(ValueError, match="not an nn.Linear"):
        replace_head(net, 2, head="features")


def test_param_groups_per_group_lr():
    net = freeze(Net(), except_=["fc", "fc1"])
    groups = param_groups(net, {"fc": 1e-2}, default_lr=1e-4)
    assert [(g["name"], g["lr"], len(g["params"])) for g in groups] == [("fc", 1e-2, 2), ("default", 1e-4, 2)]
    opt = make_optimizer("sgd", groups)
    assert [g["lr"] for g in opt.param_groups] == [1e-2, 1e-4]
    assert len(param_groups(net, {"fc": 1e-2})) == 1                  # the rest is not optimised
    with pytest.raises(ValueError, match="'conv9'"):
        param_groups(net, {"conv9": 0.1})


def test_extract_features_and_svm_head():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    y = torch.arange(60) % 3
    x = torch.randn(60, 1, 6, 6, generator=g) * 0.1 + y.view(-1, 1, 1, 1).float()
    net = Net()
    net.train()
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    feats, labels = extract_features(net, loader, device="cpu")
    assert feats.shape == (60, 8) and torch.equal(labels, y) and net.training
    conv_feats, _ = extract_features(net, loader, layer="features", device="cpu")
    assert conv_feats.shape == (60, 16)
    svm = linear_svm(conv_feats, labels)
    assert svm.score(conv_feats.numpy(), labels.numpy()) > 0.9
    with pytest.raises(ValueError, match="layer='nope'"):
        extract_features(net, loader, layer="nope", device="cpu")
    with pytest.raises(ValueError, match="features must be"):
        linear_svm(conv_feats[:5], labels)

"""Assignment 4: training deep networks."""

from grading.nbsource import COLAB_INSTALL, answer, md, setup, tests

NAME = "a4"

CELLS = [
    md("""
    # Assignment 4: training deep networks

    | Part | What you write | Points |
    |---|---|---|
    | 1 | `xavier_uniform` and `he_normal` initialisers | 4 |
    | 2 | inverted `dropout_forward` / `dropout_backward` | 4 |
    | 3 | batch normalisation, forward (training mode) | 4 |
    | 4 | batch normalisation, backward | 4 |
    | 5 | activation statistics of a 10-layer network | 4 |
    | | **Total** | **20** |

    Weights use torch's layout `(fan_out, fan_in)` for a linear layer. All randomness comes from
    the `rng` argument (a `np.random.Generator`), drawn exactly as each part says, so your numbers
    can be compared with the reference. numpy only: calling `cnnlab` in your answers earns no
    points; never modify an argument in place. *Kernel > Restart & Run All* before you submit.
    """),
    setup("a4_colab", COLAB_INSTALL),
    setup("a4_imports", """
    import numpy as np

    import cnnlab.functional as F
    from cnnlab import init
    from cnnlab.grading import Case, GradingError, check_function, seeded_cases
    """),
    md("""
    ## Part 1: initialisers (4 points)

    For a weight of shape `(fan_out, fan_in)`:
    * Xavier (Glorot) uniform keeps the variance of activations and gradients when
      $\\mathrm{Var}(w) = 2 / (\\text{fan\\_in} + \\text{fan\\_out})$: draw
      `rng.uniform(-a, a, size=shape)` with $a = \\sqrt{6 / (\\text{fan\\_in} + \\text{fan\\_out})}$.
    * He (Kaiming) normal is made for ReLU, which zeroes half of its inputs: draw
      `rng.normal(0.0, std, size=shape)` with $\\text{std} = \\sqrt{2 / \\text{fan\\_in}}$.
    """),
    answer("a4_init", """
    def xavier_uniform(shape, rng):
        \"\"\"Glorot uniform weights of shape (fan_out, fan_in).\"\"\"
        fan_out, fan_in = shape
        ### BEGIN SOLUTION
        a = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a, size=shape)
        ### END SOLUTION


    def he_normal(shape, rng):
        \"\"\"He normal weights of shape (fan_out, fan_in).\"\"\"
        fan_out, fan_in = shape
        ### BEGIN SOLUTION
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
        ### END SOLUTION
    """),
    tests("a4_init_tests", 4, """
    def xavier_reference(shape, rng):
        return init.xavier_uniform(shape, rng=rng)

    def he_reference(shape, rng):
        return init.he_normal(shape, rng=rng)

    check_function(xavier_uniform, xavier_reference, [Case("(3, 4)", (3, 4), np.random.default_rng(401))])
    check_function(he_normal, he_reference, [Case("(3, 4)", (3, 4), np.random.default_rng(402))])
    ### BEGIN HIDDEN TESTS
    cases = [Case("(100, 20)", (100, 20), np.random.default_rng(403)), Case("(7, 300)", (7, 300), np.random.default_rng(404))]
    check_function(xavier_uniform, xavier_reference, cases, forbid=[init])
    check_function(he_normal, he_reference, cases, forbid=[init])
    ### END HIDDEN TESTS
    print("initialisers: tests passed")
    """),
    md("""
    ## Part 2: inverted dropout (4 points)

    While training, dropout zeroes each unit with probability `p` and divides the survivors by
    `1 - p`, so that the expected output equals the input and nothing changes at test time.
    Draw the mask as `rng.random(x.shape) >= p` (True = keep). `dropout_forward(x, p, rng)`
    returns `(out, mask)` where `mask` already includes the `1 / (1 - p)` factor;
    `dropout_backward(dout, mask)` returns `dx`.
    """),
    answer("a4_dropout", """
    def dropout_forward(x, p, rng):
        \"\"\"Inverted dropout with drop probability p. Returns (out, mask).\"\"\"
        ### BEGIN SOLUTION
        mask = (rng.random(x.shape) >= p) / (1 - p)
        return x * mask, mask
        ### END SOLUTION


    def dropout_backward(dout, mask):
        \"\"\"Gradient of dropout_forward.\"\"\"
        ### BEGIN SOLUTION
        return dout * mask
        ### END SOLUTION
    """),
    tests("a4_dropout_tests", 4, """
    def dropout_reference(x, p, rng):
        return F.dropout_forward(x, p=p, rng=rng)[0]

    def your_dropout(x, p, rng):
        return dropout_forward(x, p, rng)[0]

    def backward_reference(dout, x, p, rng):
        return F.dropout_backward(dout, F.dropout_forward(x, p=p, rng=rng)[1])

    def your_backward(dout, x, p, rng):
        return dropout_backward(dout, dropout_forward(x, p, rng)[1])

    rng = np.random.default_rng(405)
    check_function(your_dropout, dropout_reference, [Case("p=0.5", rng.normal(size=(4, 6)), 0.5, np.random.default_rng(0))])
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(406)
    cases = [Case("p=0.2", rng.normal(size=(50, 8)), 0.2, np.random.default_rng(1)),
             Case("p=0.9", rng.normal(size=(3, 5, 7)), 0.9, np.random.default_rng(2))]
    check_function(your_dropout, dropout_reference, cases, forbid=[F])
    check_function(your_backward, backward_reference,
                   [Case("p=0.3", rng.normal(size=(6, 5)), rng.normal(size=(6, 5)), 0.3, np.random.default_rng(3))],
                   forbid=[F])
    ### END HIDDEN TESTS
    print("dropout: tests passed")
    """),
    md("""
    ## Part 3: batch normalisation, forward (4 points)

    For a batch `x: (N, D)`, normalise every feature with the batch mean and the (biased) batch
    variance, then scale and shift: $\\hat x = (x - \\mu) / \\sqrt{\\sigma^2 + \\epsilon}$,
    $y = \\gamma \\hat x + \\beta$. Return `(y, cache)`; the cache is yours to design.
    """),
    answer("a4_batchnorm", """
    def batchnorm_train_forward(x, gamma, beta, eps=1e-5):
        \"\"\"Batch norm in training mode. x: (N, D), gamma, beta: (D,). Returns (out, cache).\"\"\"
        ### BEGIN SOLUTION
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mu) * inv_std
        return gamma * x_hat + beta, (x, gamma, x_hat, inv_std)
        ### END SOLUTION


    def batchnorm_backward(dout, x, gamma, eps=1e-5):
        \"\"\"Gradients (dx, dgamma, dbeta) of batchnorm_train_forward(x, gamma, beta, eps).\"\"\"
        ### BEGIN SOLUTION
        inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
        x_hat = (x - x.mean(axis=0)) * inv_std
        dbeta = dout.sum(axis=0)
        dgamma = (dout * x_hat).sum(axis=0)
        g = dout * gamma
        dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
        return dx, dgamma, dbeta
        ### END SOLUTION
    """),
    tests("a4_batchnorm_forward_tests", 4, """
    def bn_reference(x, gamma, beta, eps=1e-5):
        d = x.shape[1]
        return F.batchnorm_forward(x, gamma, beta, running_mean=np.zeros(d), running_var=np.ones(d),
                                   training=True, eps=eps)[0]

    def your_bn(x, gamma, beta, eps=1e-5):
        return batchnorm_train_forward(x, gamma, beta, eps)[0]

    def bn_case(r, n=8, d=3):
        return Case("random", 3 + 2 * r.normal(size=(n, d)), r.normal(size=d), r.normal(size=d))

    check_function(your_bn, bn_reference, seeded_cases(bn_case, 1, seed=407))
    ### BEGIN HIDDEN TESTS
    check_function(your_bn, bn_reference, seeded_cases(bn_case, 2, seed=408)
                   + [Case("a constant feature (variance 0)", np.ones((4, 2)), np.ones(2), np.zeros(2))], forbid=[F])
    ### END HIDDEN TESTS
    print("batchnorm forward: tests passed")
    """),
    md("""
    ## Part 4: batch normalisation, backward (4 points)

    Complete `batchnorm_backward(dout, x, gamma, eps)` above (it recomputes what it needs from `x`):
    $\\partial L/\\partial\\beta = \\sum_n \\text{dout}$, $\\partial L/\\partial\\gamma = \\sum_n \\text{dout}\\,\\hat x$,
    and for $\\partial L / \\partial x$ remember that the mean and variance depend on every `x` in the batch:
    with $g = \\text{dout}\\,\\gamma$,
    $\\partial L/\\partial x = \\frac{1}{\\sqrt{\\sigma^2+\\epsilon}}\\,(g - \\overline{g} - \\hat x\\,\\overline{g \\hat x})$
    (bars are means over the batch).
    """),
    tests("a4_batchnorm_backward_tests", 4, """
    def bn_backward_reference(dout, x, gamma, eps=1e-5):
        d = x.shape[1]
        _, cache, _ = F.batchnorm_forward(x, gamma, np.zeros(d), running_mean=np.zeros(d), running_var=np.ones(d),
                                          training=True, eps=eps)
        return F.batchnorm_backward(dout, cache)

    def bn_backward_case(r, n=8, d=3):
        return Case("random", r.normal(size=(n, d)), 3 + 2 * r.normal(size=(n, d)), r.normal(size=d))

    names = ("dx", "dgamma", "dbeta")
    check_function(batchnorm_backward, bn_backward_reference, seeded_cases(bn_backward_case, 1, seed=409),
                   output_names=names)
    ### BEGIN HIDDEN TESTS
    check_function(batchnorm_backward, bn_backward_reference, seeded_cases(bn_backward_case, 2, seed=410),
                   output_names=names, forbid=[F])
    ### END HIDDEN TESTS
    print("batchnorm backward: tests passed")
    """),
    md("""
    ## Part 5: activation statistics of a deep network (4 points)

    Why do initialisation and normalisation matter? Push a batch through 10 fully connected
    layers of width `width` and look at the activations. Write
    `activation_stats(x, init_fn, activation, rng, depth=10)`: starting from `h = x`, for each layer
    draw `W = init_fn((width, width), rng)` (width = `x.shape[1]`), compute `h = activation(h @ W.T)`,
    and record `(h.mean(), h.std())`. Return a `(depth, 2)` array.

    Run it with `tanh` and small random weights (std 0.01), and then with Xavier: in the first
    case the activations shrink towards zero layer after layer (and so do the gradients), in the
    second they keep a healthy spread.
    """),
    answer("a4_activation_stats", """
    def activation_stats(x, init_fn, activation, rng, depth=10):
        \"\"\"Per-layer (mean, std) of the activations of a depth-layer network. Returns (depth, 2).\"\"\"
        ### BEGIN SOLUTION
        h = x
        stats = []
        for _ in range(depth):
            W = init_fn((x.shape[1], x.shape[1]), rng)
            h = activation(h @ W.T)
            stats.append((h.mean(), h.std()))
        return np.array(stats)
        ### END SOLUTION
    """),
    tests("a4_activation_stats_tests", 4, """
    def small_normal(shape, rng):
        return rng.normal(0.0, 0.01, size=shape)

    def reference_stats(x, init_fn, activation, rng, depth=10):
        h, stats = x, []
        for _ in range(depth):
            h = activation(F.linear(h, init_fn((x.shape[1], x.shape[1]), rng)))
            stats.append((h.mean(), h.std()))
        return np.array(stats)

    x = np.random.default_rng(411).normal(size=(200, 50))
    check_function(activation_stats, reference_stats, [Case("tanh, std 0.01", x, small_normal, np.tanh, np.random.default_rng(0))])
    ### BEGIN HIDDEN TESTS
    x = np.random.default_rng(412).normal(size=(300, 64))
    xavier = lambda shape, rng: init.xavier_uniform(shape, rng=rng)
    relu = lambda z: np.maximum(z, 0)
    he = lambda shape, rng: init.he_normal(shape, rng=rng)
    check_function(activation_stats, reference_stats, [Case("tanh, xavier", x, xavier, np.tanh, np.random.default_rng(1)),
                                                       Case("relu, he", x, he, relu, np.random.default_rng(2))])
    vanishing = activation_stats(x, small_normal, np.tanh, np.random.default_rng(3))
    healthy = activation_stats(x, xavier, np.tanh, np.random.default_rng(4))
    if not (vanishing[-1, 1] < 1e-6 and 0.1 < healthy[-1, 1] < 1.0):
        raise GradingError(f"last-layer std: {vanishing[-1, 1]:.3g} with std 0.01 weights (expected < 1e-6), "
                           f"{healthy[-1, 1]:.3g} with Xavier (expected between 0.1 and 1)")
    ### END HIDDEN TESTS
    print("activation_stats: tests passed")
    """),
]

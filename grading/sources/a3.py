"""Assignment 3: convolution and pooling, forward and backward."""

from grading.nbsource import COLAB_INSTALL, answer, md, setup, tests

NAME = "a3"

CELLS = [
    md("""
    # Assignment 3: convolution and pooling

    | Part | What you write | Points |
    |---|---|---|
    | 1 | `conv_output_size`: the output size formula | 2 |
    | 2 | `pad`: zero padding | 2 |
    | 3 | `conv_forward_naive`: convolution with loops | 4 |
    | 4 | `conv_forward_fast`: the same, vectorised (im2col) | 4 |
    | 5 | `conv_backward`: gradients of a convolution | 4 |
    | 6 | `max_pool_forward` / `max_pool_backward` | 4 |
    | | **Total** | **20** |

    Layouts follow torch: images `x: (N, C, H, W)`, filters `w: (F, C, kH, kW)`, biases `b: (F,)`.
    As in every deep learning library, "convolution" means cross-correlation (the kernel is not
    flipped). Use numpy only: calling `cnnlab` inside your answers earns no points, and never
    modify an argument in place. *Kernel > Restart & Run All* before you submit.
    """),
    setup("a3_colab", COLAB_INSTALL),
    setup("a3_imports", """
    import numpy as np

    import cnnlab.functional as F
    from cnnlab import arithmetic
    from cnnlab.grading import Case, GradingError, check_function, seeded_cases
    """),
    md("""
    ## Part 1: output size (2 points)

    A filter of size $F$ slid with stride $S$ over an input of size $N$ padded by $P$ on each
    side gives $(N - F + 2P)/S + 1$ outputs. Write `conv_output_size(n, k, stride=1, padding=0)`.
    When the division is not exact (the notes' 7x7 input with a 3x3 filter at stride 3), the filter
    does not tile the input: raise a `ValueError` that says so.
    """),
    answer("a3_output_size", """
    def conv_output_size(n, k, stride=1, padding=0):
        \"\"\"Number of outputs along one axis. Raises ValueError when the filter does not fit exactly.\"\"\"
        ### BEGIN SOLUTION
        span = n - k + 2 * padding
        if span < 0 or span % stride:
            raise ValueError(f"a filter of size {k} at stride {stride} does not tile an input of {n} "
                             f"padded by {padding}: ({n} - {k} + 2*{padding})/{stride} + 1 is not an integer")
        return span // stride + 1
        ### END SOLUTION
    """),
    tests("a3_output_size_tests", 2, """
    def reference(n, k, stride=1, padding=0):
        return arithmetic.conv_output_size(n, k, stride=stride, padding=padding)

    check_function(conv_output_size, reference, [Case("7x7 input, 3x3 filter", 7, 3),
                                                 Case("stride 2", 7, 3, stride=2)])
    ### BEGIN HIDDEN TESTS
    check_function(conv_output_size, reference,
                   [Case("padding 1", 32, 3, padding=1), Case("AlexNet conv1", 227, 11, stride=4),
                    Case("pooling 2x2", 28, 2, stride=2), Case("1x1", 5, 1)], forbid=[arithmetic])
    try:
        conv_output_size(7, 3, stride=3)
    except ValueError:
        pass
    else:
        raise GradingError("conv_output_size(7, 3, stride=3) should raise ValueError: (7 - 3)/3 + 1 is not an integer")
    ### END HIDDEN TESTS
    print("conv_output_size: tests passed")
    """),
    md("""
    ## Part 2: zero padding (2 points)

    `pad(x, p)` returns a new array with `p` rows/columns of zeros added on every side of the
    two spatial axes of `x: (N, C, H, W)`, so the result is `(N, C, H + 2p, W + 2p)`.
    """),
    answer("a3_pad", """
    def pad(x, p):
        \"\"\"Zero-pad the last two axes of x: (N, C, H, W) by p on each side.\"\"\"
        ### BEGIN SOLUTION
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        ### END SOLUTION
    """),
    tests("a3_pad_tests", 2, """
    def reference(x, p):
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))

    check_function(pad, reference, [Case("p=1", np.arange(8.0).reshape(1, 2, 2, 2), 1)])
    ### BEGIN HIDDEN TESTS
    check_function(pad, reference, seeded_cases(lambda r: Case("random", r.normal(size=(2, 3, 4, 5)), 2), 2, seed=301)
                   + [Case("p=0 is a copy", np.ones((1, 1, 2, 2)), 0)])
    ### END HIDDEN TESTS
    print("pad: tests passed")
    """),
    md("""
    ## Part 3: convolution with loops (4 points)

    `conv_forward_naive(x, w, b, stride=1, padding=0)`: for every image `n`, filter `f` and
    output position `(i, j)`, `out[n, f, i, j] = sum(window * w[f]) + b[f]`, where the window is
    the `(C, kH, kW)` patch of the padded input starting at `(i * stride, j * stride)`.
    Use your `pad` and `conv_output_size`.
    """),
    answer("a3_conv_naive", """
    def conv_forward_naive(x, w, b, stride=1, padding=0):
        \"\"\"Convolution by loops. x: (N, C, H, W), w: (F, C, kH, kW), b: (F,). Returns (N, F, H', W').\"\"\"
        ### BEGIN SOLUTION
        n_img, _, h, wd = x.shape
        f, _, kh, kw = w.shape
        ho, wo = conv_output_size(h, kh, stride, padding), conv_output_size(wd, kw, stride, padding)
        xp = pad(x, padding)
        out = np.zeros((n_img, f, ho, wo), dtype=x.dtype)
        for n in range(n_img):
            for k in range(f):
                for i in range(ho):
                    for j in range(wo):
                        window = xp[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                        out[n, k, i, j] = np.sum(window * w[k]) + b[k]
        return out
        ### END SOLUTION
    """),
    tests("a3_conv_naive_tests", 4, """
    def reference(x, w, b, stride=1, padding=0):
        return F.conv2d(x, w, b, stride=stride, padding=padding)

    def conv_case(r, n=2, c=3, h=5, f=4, k=3, stride=1, padding=0):
        return Case(f"random, stride={stride}, padding={padding}", r.normal(size=(n, c, h, h)),
                    r.normal(size=(f, c, k, k)), r.normal(size=f), stride=stride, padding=padding)

    rng = np.random.default_rng(302)
    check_function(conv_forward_naive, reference, [conv_case(rng)])
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(303)
    cases = [conv_case(rng, padding=1), conv_case(rng, h=7, stride=2), conv_case(rng, h=6, k=2, stride=2, padding=1),
             conv_case(rng, c=1, f=1, k=1)]
    check_function(conv_forward_naive, reference, cases, forbid=[F])
    ### END HIDDEN TESTS
    print("conv_forward_naive: tests passed")
    """),
    md("""
    ## Part 4: vectorised convolution (4 points)

    Loops in Python are slow. Rewrite the convolution without looping over images or output
    positions: gather every window into the rows of a matrix (*im2col*: one row per (image, output
    position), `C * kH * kW` columns) and multiply it by the filters reshaped to `(F, C * kH * kW)`.
    Looping over the `kH * kW` kernel offsets to build the matrix is fine.
    """),
    answer("a3_conv_fast", """
    def conv_forward_fast(x, w, b, stride=1, padding=0):
        \"\"\"Vectorised convolution, same contract as conv_forward_naive.\"\"\"
        ### BEGIN SOLUTION
        n_img, c, h, wd = x.shape
        f, _, kh, kw = w.shape
        ho, wo = conv_output_size(h, kh, stride, padding), conv_output_size(wd, kw, stride, padding)
        xp = pad(x, padding)
        cols = np.empty((n_img, c, kh, kw, ho, wo), dtype=x.dtype)
        for di in range(kh):
            for dj in range(kw):
                cols[:, :, di, dj] = xp[:, :, di:di + stride * ho:stride, dj:dj + stride * wo:stride]
        cols = cols.transpose(0, 4, 5, 1, 2, 3).reshape(n_img * ho * wo, c * kh * kw)
        out = cols @ w.reshape(f, -1).T + b
        return out.reshape(n_img, ho, wo, f).transpose(0, 3, 1, 2).copy()
        ### END SOLUTION
    """),
    tests("a3_conv_fast_tests", 4, """
    rng = np.random.default_rng(304)
    check_function(conv_forward_fast, reference, [conv_case(rng, padding=1)])
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(305)
    cases = [conv_case(rng, h=7, stride=2), conv_case(rng, h=6, k=2, stride=2, padding=1),
             conv_case(rng, n=1, c=2, h=9, f=3, k=5, padding=2)]
    check_function(conv_forward_fast, reference, cases, forbid=[F])
    ### END HIDDEN TESTS
    print("conv_forward_fast: tests passed")
    """),
    md("""
    ## Part 5: backward (4 points)

    Given `dout: (N, F, H', W')`, return `(dx, dw, db)`. Every output `out[n, f, i, j]` received
    `window * w[f]`, so it sends `dout[n, f, i, j] * w[f]` back to the window of `dx` (accumulate:
    windows overlap) and `dout[n, f, i, j] * window` to `dw[f]`; `db[f]` sums `dout[:, f]`.
    Loops are fine. Remember to strip the padding from `dx`.
    """),
    answer("a3_conv_backward", """
    def conv_backward(dout, x, w, b, stride=1, padding=0):
        \"\"\"Gradients (dx, dw, db) of the convolution conv_forward_naive(x, w, b, stride, padding).\"\"\"
        ### BEGIN SOLUTION
        n_img, _, h, wd = x.shape
        f, _, kh, kw = w.shape
        _, _, ho, wo = dout.shape
        xp = pad(x, padding)
        dxp = np.zeros_like(xp)
        dw = np.zeros_like(w)
        for n in range(n_img):
            for k in range(f):
                for i in range(ho):
                    for j in range(wo):
                        rows = slice(i * stride, i * stride + kh)
                        cols = slice(j * stride, j * stride + kw)
                        dxp[n, :, rows, cols] += dout[n, k, i, j] * w[k]
                        dw[k] += dout[n, k, i, j] * xp[n, :, rows, cols]
        db = dout.sum(axis=(0, 2, 3))
        dx = dxp[:, :, padding:padding + h, padding:padding + wd]
        return dx, dw, db
        ### END SOLUTION
    """),
    tests("a3_conv_backward_tests", 4, """
    def backward_reference(dout, x, w, b, stride=1, padding=0):
        _, cache = F.conv2d_forward(x, w, b, stride=stride, padding=padding)
        return F.conv2d_backward(dout, cache)

    def backward_case(r, n=2, c=3, h=5, f=4, k=3, stride=1, padding=0):
        ho = (h - k + 2 * padding) // stride + 1
        return Case(f"random, stride={stride}, padding={padding}", r.normal(size=(n, f, ho, ho)),
                    r.normal(size=(n, c, h, h)), r.normal(size=(f, c, k, k)), r.normal(size=f),
                    stride=stride, padding=padding)

    rng = np.random.default_rng(306)
    check_function(conv_backward, backward_reference, [backward_case(rng)], output_names=("dx", "dw", "db"))
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(307)
    cases = [backward_case(rng, padding=1), backward_case(rng, h=7, stride=2, padding=1)]
    check_function(conv_backward, backward_reference, cases, output_names=("dx", "dw", "db"), forbid=[F])
    ### END HIDDEN TESTS
    print("conv_backward: tests passed")
    """),
    md("""
    ## Part 6: max pooling (4 points)

    `max_pool_forward(x, k)`: non-overlapping `k x k` windows (stride `k`), the maximum of each.
    `max_pool_backward(dout, x, k)`: each window's gradient goes to the position of its maximum
    (the *switch*), zero elsewhere. The tests use inputs without ties.
    """),
    answer("a3_pool", """
    def max_pool_forward(x, k):
        \"\"\"Max pooling with k x k windows and stride k. x: (N, C, H, W). Returns (N, C, H', W').\"\"\"
        ### BEGIN SOLUTION
        n, c, h, wd = x.shape
        ho, wo = conv_output_size(h, k, stride=k), conv_output_size(wd, k, stride=k)
        return x.reshape(n, c, ho, k, wo, k).max(axis=(3, 5))
        ### END SOLUTION


    def max_pool_backward(dout, x, k):
        \"\"\"Gradient of max_pool_forward: dout goes to each window's maximum. Returns dx like x.\"\"\"
        ### BEGIN SOLUTION
        n, c, h, wd = x.shape
        ho, wo = dout.shape[2], dout.shape[3]
        windows = x.reshape(n, c, ho, k, wo, k)
        is_max = windows == windows.max(axis=(3, 5), keepdims=True)
        dx = is_max * dout[:, :, :, None, :, None]
        return dx.reshape(x.shape)
        ### END SOLUTION
    """),
    tests("a3_pool_tests", 4, """
    def pool_reference(x, k):
        return F.max_pool2d(x, kernel_size=k)

    def pool_backward_reference(dout, x, k):
        return F.max_pool2d_backward(dout, F.max_pool2d_forward(x, kernel_size=k)[1])

    rng = np.random.default_rng(308)
    x = rng.normal(size=(2, 3, 4, 4))
    check_function(max_pool_forward, pool_reference, [Case("2x2 windows", x, 2)])
    check_function(max_pool_backward, pool_backward_reference,
                   [Case("2x2 windows", rng.normal(size=(2, 3, 2, 2)), x, 2)])
    ### BEGIN HIDDEN TESTS
    rng = np.random.default_rng(309)
    x = rng.normal(size=(1, 2, 6, 9))
    check_function(max_pool_forward, pool_reference, [Case("3x3 windows", x, 3)], forbid=[F])
    check_function(max_pool_backward, pool_backward_reference,
                   [Case("3x3 windows", rng.normal(size=(1, 2, 2, 3)), x, 3)], forbid=[F])
    ### END HIDDEN TESTS
    print("max pooling: tests passed")
    """),
]

"""Assignment 1: the perceptron, activation functions and their derivatives, softmax, losses."""

from grading.nbsource import COLAB_INSTALL, answer, md, setup, tests

NAME = "a1"

CELLS = [
    md("""
    # Assignment 1: perceptrons, activations, softmax and losses

    In this assignment you write, in plain numpy, the first building blocks of every neural network:

    | Part | What you write | Points |
    |---|---|---|
    | 1 | `perceptron_predict`: the perceptron's output | 2 |
    | 2 | `rosenblatt_step`: one step of the perceptron learning rule | 3 |
    | 3 | `sigmoid` and its derivative `sigmoid_grad` (numerically stable) | 3 |
    | 4 | `relu`, `leaky_relu` and their derivatives | 3 |
    | 5 | a numerically stable `softmax` | 3 |
    | 6 | `cross_entropy` from logits and its gradient | 4 |
    | 7 | the squared error `squared_error` and its gradient | 2 |
    | | **Total** | **20** |

    **Rules.** Write each function in the cell marked `# YOUR CODE HERE`, replacing the
    `raise NotImplementedError()`. Use numpy only: the tests compare your functions with the
    reference library `cnnlab`, and calling `cnnlab` inside your answers earns no points.
    Never modify an argument in place (work on copies). Each test cell shows a few of the tests;
    the grader runs more (random inputs, edge cases). When a test fails it tells you the input,
    the expected and the actual value, and the largest relative error.
    Run the notebook top to bottom (*Kernel > Restart & Run All*) before you submit.
    """),
    setup("a1_colab", COLAB_INSTALL),
    setup("a1_imports", """
    import numpy as np

    import cnnlab.functional as F
    from cnnlab import perceptron as P
    from cnnlab.grading import Case, check_function, seeded_cases
    """),
    md("""
    ## Part 1: the perceptron (2 points)

    A perceptron with weights $\\mathbf w \\in \\mathbb R^D$ and bias $b$ outputs
    $o = 1$ if $\\mathbf w \\cdot \\mathbf x + b > 0$ and $o = 0$ otherwise.
    Write `perceptron_predict(x, w, b)` for a batch `x` of shape `(N, D)`: it returns an array
    of shape `(N,)` of zeros and ones (floats), one per row of `x`. No loops needed.
    """),
    answer("a1_perceptron_predict", """
    def perceptron_predict(x, w, b):
        \"\"\"Perceptron outputs for x: (N, D), w: (D,), b: float. Returns (N,) of 0.0 / 1.0.\"\"\"
        ### BEGIN SOLUTION
        return np.where(x @ w + b > 0, 1.0, 0.0)
        ### END SOLUTION
    """),
    tests("a1_perceptron_predict_tests", 2, """
    # The AND gate of the lecture notes: w = (1, 1), b = -1.5.
    x_and = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    ref = lambda x, w, b: P.perceptron_predict(x, w, b, outputs="binary")
    check_function(perceptron_predict, ref, [Case("AND gate", x_and, np.array([1.0, 1.0]), -1.5)],
                   check_dtype=False)
    ### BEGIN HIDDEN TESTS
    from cnnlab.grading import check_not_using
    check_not_using(perceptron_predict)
    cases = seeded_cases(lambda r: Case("random", r.normal(size=(7, 3)), r.normal(size=3), float(r.normal())),
                         4, seed=101)
    cases.append(Case("on the boundary: w.x + b = 0 gives 0", np.array([[1.0, 1.0]]), np.array([1.0, -1.0]), 0.0))
    check_function(perceptron_predict, ref, cases, check_dtype=False, forbid=[P])
    ### END HIDDEN TESTS
    print("perceptron_predict: tests passed")
    """),
    md("""
    ## Part 2: the perceptron learning rule (3 points)

    Rosenblatt's rule updates the weights after each example $(\\mathbf x_i, t_i)$:
    $\\mathbf w \\leftarrow \\mathbf w + \\eta\\,(t_i - o_i)\\,\\mathbf x_i$ and
    $b \\leftarrow b + \\eta\\,(t_i - o_i)$, where $o_i$ is the perceptron's output (0 or 1) for
    $\\mathbf x_i$. Write `rosenblatt_step(x_i, t_i, w, b, eta)` returning the **new** `(w, b)`;
    `w` must not be changed in place (the caller may still need the old weights).
    """),
    answer("a1_rosenblatt_step", """
    def rosenblatt_step(x_i, t_i, w, b, eta):
        \"\"\"One perceptron update. x_i: (D,), t_i: 0 or 1, w: (D,), b: float. Returns (new_w, new_b).\"\"\"
        ### BEGIN SOLUTION
        o = 1.0 if x_i @ w + b > 0 else 0.0
        step = eta * (t_i - o)
        return w + step * x_i, b + step
        ### END SOLUTION
    """),
    tests("a1_rosenblatt_step_tests", 3, """
    ref = lambda x_i, t_i, w, b, eta: P.rosenblatt_step(x_i, t_i, w, b, eta=eta, outputs="binary")
    check_function(rosenblatt_step, ref,
                   [Case("a wrong output moves w towards x", np.array([1.0, 2.0]), 1.0, np.array([-1.0, 0.0]), 0.0, 0.5)],
                   output_names=("w", "b"))
    ### BEGIN HIDDEN TESTS
    from cnnlab.grading import check_not_using
    check_not_using(rosenblatt_step)
    cases = seeded_cases(lambda r: Case("random", r.normal(size=4), float(r.integers(0, 2)), r.normal(size=4),
                                        float(r.normal()), 0.1), 6, seed=102)
    cases.append(Case("correct output: no change", np.array([1.0, 1.0]), 1.0, np.array([1.0, 1.0]), 0.0, 0.1))
    check_function(rosenblatt_step, ref, cases, output_names=("w", "b"), forbid=[P])
    # Training with your rule learns AND.
    x_and = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    t_and = np.array([0.0, 0.0, 0.0, 1.0])
    w, b = np.zeros(2), 0.0
    for epoch in range(20):
        for x_i, t_i in zip(x_and, t_and):
            w, b = rosenblatt_step(x_i, t_i, w, b, 0.1)
    assert np.array_equal(P.perceptron_predict(x_and, w, b), t_and), \\
        f"after 20 epochs on AND your rule gives w={w}, b={b}, which does not separate AND"
    ### END HIDDEN TESTS
    print("rosenblatt_step: tests passed")
    """),
    md("""
    ## Part 3: the sigmoid and its derivative (3 points)

    $\\sigma(x) = 1 / (1 + e^{-x})$ and $\\sigma'(x) = \\sigma(x)(1 - \\sigma(x))$.
    Both work elementwise on arrays of any shape and return the input's dtype.
    Careful: `np.exp(-x)` overflows for `x = -1000`. Write $\\sigma$ so that it never overflows
    (hint: for $x < 0$ use $e^{x} / (1 + e^{x})$), and no warning is printed.
    """),
    answer("a1_sigmoid", """
    def sigmoid(x):
        \"\"\"Logistic sigmoid, elementwise, stable for large |x|. x: any shape.\"\"\"
        ### BEGIN SOLUTION
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)
        ### END SOLUTION


    def sigmoid_grad(x):
        \"\"\"d sigmoid(x) / dx, elementwise. x: any shape.\"\"\"
        ### BEGIN SOLUTION
        s = sigmoid(x)
        return s * (1 - s)
        ### END SOLUTION
    """),
    tests("a1_sigmoid_tests", 3, """
    def sigmoid_grad_ref(x):
        out, cache = F.sigmoid_forward(x)
        return F.sigmoid_backward(np.ones_like(x), cache)

    check_function(sigmoid, F.sigmoid, [Case("small values", np.array([-1.0, 0.0, 2.0]))])
    check_function(sigmoid_grad, sigmoid_grad_ref, [Case("small values", np.array([-1.0, 0.0, 2.0]))])
    ### BEGIN HIDDEN TESTS
    cases = seeded_cases(lambda r: Case("random", 5 * r.normal(size=(3, 4))), 3, seed=103)
    cases += [Case("large |x| must not overflow", np.array([-1000.0, -50.0, 50.0, 1000.0])),
              Case("float32 stays float32", np.array([[-3.0, 0.5], [1.0, 8.0]], dtype=np.float32))]
    check_function(sigmoid, F.sigmoid, cases, forbid=[F])
    check_function(sigmoid_grad, sigmoid_grad_ref, cases[:4], forbid=[F])
    ### END HIDDEN TESTS
    print("sigmoid, sigmoid_grad: tests passed")
    """),
    md("""
    ## Part 4: rectifiers (3 points)

    `relu(x)` $= \\max(0, x)$ and `leaky_relu(x, negative_slope=0.01)` $= x$ for $x > 0$,
    `negative_slope * x` otherwise. Their derivatives `relu_grad(x)` and
    `leaky_relu_grad(x, negative_slope=0.01)` are 1 for $x > 0$ and 0 (or `negative_slope`) for
    $x \\le 0$: at $x = 0$ exactly, use the left derivative, as torch does.
    """),
    answer("a1_relu", """
    def relu(x):
        \"\"\"max(0, x), elementwise. x: any shape.\"\"\"
        ### BEGIN SOLUTION
        return np.maximum(x, 0).astype(x.dtype)
        ### END SOLUTION


    def relu_grad(x):
        \"\"\"d relu(x) / dx: 1 where x > 0, else 0.\"\"\"
        ### BEGIN SOLUTION
        return (x > 0).astype(x.dtype)
        ### END SOLUTION


    def leaky_relu(x, negative_slope=0.01):
        \"\"\"x where x > 0, negative_slope * x elsewhere.\"\"\"
        ### BEGIN SOLUTION
        return np.where(x > 0, x, negative_slope * x).astype(x.dtype)
        ### END SOLUTION


    def leaky_relu_grad(x, negative_slope=0.01):
        \"\"\"1 where x > 0, negative_slope elsewhere.\"\"\"
        ### BEGIN SOLUTION
        return np.where(x > 0, 1.0, negative_slope).astype(x.dtype)
        ### END SOLUTION
    """),
    tests("a1_relu_tests", 3, """
    def relu_grad_ref(x):
        return F.relu_backward(np.ones_like(x), F.relu_forward(x)[1])

    def leaky_relu_grad_ref(x, negative_slope=0.01):
        cache = F.leaky_relu_forward(x, negative_slope=negative_slope)[1]
        return F.leaky_relu_backward(np.ones_like(x), cache)

    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    check_function(relu, F.relu, [Case("a few values", x)])
    check_function(relu_grad, relu_grad_ref, [Case("a few values, 0 included", x)])
    check_function(leaky_relu, lambda x, negative_slope=0.01: F.leaky_relu(x, negative_slope=negative_slope),
                   [Case("a few values", x)])
    check_function(leaky_relu_grad, leaky_relu_grad_ref, [Case("a few values", x)])
    ### BEGIN HIDDEN TESTS
    cases = seeded_cases(lambda r: Case("random", r.normal(size=(2, 3, 4))), 2, seed=104)
    slope_cases = seeded_cases(lambda r: Case("negative_slope=0.2", r.normal(size=(5,)), negative_slope=0.2), 2, seed=105)
    check_function(relu, F.relu, cases, forbid=[F])
    check_function(relu_grad, relu_grad_ref, cases, forbid=[F])
    check_function(leaky_relu, lambda x, negative_slope=0.01: F.leaky_relu(x, negative_slope=negative_slope),
                   cases + slope_cases, forbid=[F])
    check_function(leaky_relu_grad, leaky_relu_grad_ref, cases + slope_cases, forbid=[F])
    ### END HIDDEN TESTS
    print("relu family: tests passed")
    """),
    md("""
    ## Part 5: a stable softmax (3 points)

    For a row of scores $\\mathbf z$, $\\mathrm{softmax}(\\mathbf z)_k = e^{z_k} / \\sum_j e^{z_j}$.
    Write `softmax(z)` for `z` of shape `(N, K)`, normalising each row. The lecture notes show
    that subtracting the row maximum first changes nothing mathematically and prevents overflow:
    your softmax must give the right answer for scores like `1000`.
    """),
    answer("a1_softmax", """
    def softmax(z):
        \"\"\"Row-wise softmax of z: (N, K). Returns (N, K), each row sums to 1.\"\"\"
        ### BEGIN SOLUTION
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=1, keepdims=True)
        ### END SOLUTION
    """),
    tests("a1_softmax_tests", 3, """
    ref = lambda z: F.softmax(z, axis=1)
    # The lecture notes' example: scores (1, 3, 1, 0) give about (0.1025, 0.7573, 0.1025, 0.0377).
    check_function(softmax, ref, [Case("the notes' example", np.array([[1.0, 3.0, 1.0, 0.0]]))])
    ### BEGIN HIDDEN TESTS
    from cnnlab.grading import check_not_using
    check_not_using(softmax)
    cases = seeded_cases(lambda r: Case("random", 3 * r.normal(size=(4, 5))), 3, seed=106)
    cases += [Case("huge scores must not overflow", np.array([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 1000.0]])),
              Case("one class", np.array([[3.0], [-2.0]]))]
    check_function(softmax, ref, cases, forbid=[F])
    ### END HIDDEN TESTS
    print("softmax: tests passed")
    """),
    md("""
    ## Part 6: cross-entropy from logits (4 points)

    For logits `z` of shape `(N, K)` and integer class labels `t` of shape `(N,)`, the mean
    cross-entropy is $L = -\\frac1N \\sum_i \\log \\mathrm{softmax}(\\mathbf z_i)_{t_i}$, and its gradient
    is $\\partial L / \\partial \\mathbf z_i = (\\mathrm{softmax}(\\mathbf z_i) - \\mathbf y_i) / N$ with
    $\\mathbf y_i$ the one-hot row of $t_i$. Write `cross_entropy(z, t)` (a float) and
    `cross_entropy_grad(z, t)` (an `(N, K)` array). Use the log-sum-exp trick so that large logits
    give finite losses: $\\log \\mathrm{softmax}(\\mathbf z)_k = z_k - m - \\log\\sum_j e^{z_j - m}$ with $m = \\max_j z_j$.
    """),
    answer("a1_cross_entropy", """
    def cross_entropy(z, t):
        \"\"\"Mean cross-entropy of logits z: (N, K) and labels t: (N,) int. Returns a float.\"\"\"
        ### BEGIN SOLUTION
        m = z.max(axis=1, keepdims=True)
        log_p = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        return float(-log_p[np.arange(len(t)), t].mean())
        ### END SOLUTION


    def cross_entropy_grad(z, t):
        \"\"\"dL/dz for the mean cross-entropy. Returns (N, K).\"\"\"
        ### BEGIN SOLUTION
        n = z.shape[0]
        p = softmax(z)
        y = np.zeros_like(z)
        y[np.arange(n), t] = 1.0
        return (p - y) / n
        ### END SOLUTION
    """),
    tests("a1_cross_entropy_tests", 4, """
    def ce_grad_ref(z, t):
        return F.cross_entropy_backward(1.0, F.cross_entropy_forward(z, t)[1])

    z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    t = np.array([0, 1])
    check_function(cross_entropy, F.cross_entropy, [Case("two examples", z, t)])
    check_function(cross_entropy_grad, ce_grad_ref, [Case("two examples", z, t)])
    ### BEGIN HIDDEN TESTS
    cases = seeded_cases(lambda r: Case("random", 2 * r.normal(size=(6, 4)), r.integers(0, 4, size=6)), 3, seed=107)
    cases.append(Case("large logits stay finite", np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 0.0]]), np.array([2, 1])))
    check_function(cross_entropy, F.cross_entropy, cases, forbid=[F])
    check_function(cross_entropy_grad, ce_grad_ref, cases, forbid=[F])
    ### END HIDDEN TESTS
    print("cross_entropy: tests passed")
    """),
    md("""
    ## Part 7: the squared error (2 points)

    The lecture notes train with $E = \\frac12 \\sum_k (t_k - o_k)^2$. Write `squared_error(o, t)`
    (a float, summed over every element) and `squared_error_grad(o, t)` $= \\partial E / \\partial \\mathbf o$.
    """),
    answer("a1_squared_error", """
    def squared_error(o, t):
        \"\"\"E = 1/2 sum (t - o)^2 over all elements. Returns a float.\"\"\"
        ### BEGIN SOLUTION
        return float(0.5 * np.sum((t - o) ** 2))
        ### END SOLUTION


    def squared_error_grad(o, t):
        \"\"\"dE/do, same shape as o.\"\"\"
        ### BEGIN SOLUTION
        return o - t
        ### END SOLUTION
    """),
    tests("a1_squared_error_tests", 2, """
    def se_grad_ref(o, t):
        return F.squared_error_backward(1.0, F.squared_error_forward(o, t)[1])

    o, t = np.array([0.7501, 0.9571]), np.array([1.0, 0.0])   # the notes' backprop example
    check_function(squared_error, F.squared_error, [Case("the notes' outputs", o, t)])
    check_function(squared_error_grad, se_grad_ref, [Case("the notes' outputs", o, t)])
    ### BEGIN HIDDEN TESTS
    cases = seeded_cases(lambda r: Case("random", r.normal(size=(3, 2)), r.normal(size=(3, 2))), 3, seed=108)
    check_function(squared_error, F.squared_error, cases, forbid=[F])
    check_function(squared_error_grad, se_grad_ref, cases, forbid=[F])
    ### END HIDDEN TESTS
    print("squared_error: tests passed")
    """),
    md("""
    ## Before you submit

    *Kernel > Restart & Run All*, check that every test cell prints "tests passed", save, and
    submit the notebook. The grader re-runs everything from a fresh kernel with extra hidden tests.
    """),
]

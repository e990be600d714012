"""Assignment 2: backpropagation."""

from grading.nbsource import COLAB_INSTALL, answer, md, setup, tests

NAME = "a2"

CELLS = [
    md("""
    # Assignment 2: backpropagation

    | Part | What you write | Points |
    |---|---|---|
    | 1 | `Scalar`: a tiny reverse-mode automatic differentiation engine | 5 |
    | 2 | `mlp_forward`: a two-layer sigmoid network, forward | 3 |
    | 3 | `mlp_backward`: its gradients by backpropagation | 5 |
    | 4 | `numerical_gradient`: gradient checking by centred differences | 2 |
    | 5 | `notes_backprop_step`: the lecture notes' worked example | 3 |
    | 6 | `train_iris`: train your network on the iris flowers | 2 |
    | | **Total** | **20** |

    Use numpy only; the tests compare your code with the reference library `cnnlab`, and calling
    `cnnlab` inside your answers earns no points. Never modify an argument in place.
    Every test prints the input, the expected and actual values and the largest relative error
    when it fails. *Kernel > Restart & Run All* before you submit.
    """),
    setup("a2_colab", COLAB_INSTALL),
    setup("a2_imports", """
    import math

    import numpy as np

    import cnnlab.functional as F
    from cnnlab import autodiff, gradcheck, worked
    from cnnlab.grading import Case, GradingError, check_function, seeded_cases
    """),
    md("""
    ## Part 1: a reverse-mode engine (5 points)

    A `Scalar` holds a number `data`, its gradient `grad` (filled by `backward`), the `Scalar`s it
    was computed from (`_parents`) and the local derivatives $\\partial\\,\\text{self} / \\partial\\,\\text{parent}$
    (`_local_grads`). Addition is written for you. Write multiplication, `tanh`, `exp`, and
    `backward`, which visits the graph in reverse topological order and applies the chain rule:
    `parent.grad += node.grad * local`. `backward` must reset every gradient first, so calling it
    twice gives the same result. A node used twice (e.g. `x * x`) collects both contributions.
    """),
    answer("a2_scalar", """
    class Scalar:
        \"\"\"A number that remembers how it was computed, for reverse-mode differentiation.\"\"\"

        def __init__(self, data, _parents=(), _local_grads=()):
            self.data = float(data)
            self.grad = 0.0
            self._parents = _parents
            self._local_grads = _local_grads

        def __repr__(self):
            return f"Scalar(data={self.data:.6g}, grad={self.grad:.6g})"

        @staticmethod
        def _wrap(other):
            return other if isinstance(other, Scalar) else Scalar(other)

        def __add__(self, other):
            other = Scalar._wrap(other)
            return Scalar(self.data + other.data, (self, other), (1.0, 1.0))

        def __radd__(self, other):
            return self + other

        def __neg__(self):
            return self * -1.0

        def __sub__(self, other):
            return self + (-Scalar._wrap(other))

        def __mul__(self, other):
            other = Scalar._wrap(other)
            ### BEGIN SOLUTION
            return Scalar(self.data * other.data, (self, other), (other.data, self.data))
            ### END SOLUTION

        def __rmul__(self, other):
            return self * other

        def tanh(self):
            ### BEGIN SOLUTION
            t = math.tanh(self.data)
            return Scalar(t, (self,), (1.0 - t * t,))
            ### END SOLUTION

        def exp(self):
            ### BEGIN SOLUTION
            e = math.exp(self.data)
            return Scalar(e, (self,), (e,))
            ### END SOLUTION

        def backward(self):
            \"\"\"Fill .grad of every node self depends on with d self / d node.\"\"\"
            ### BEGIN SOLUTION
            order, seen = [], set()

            def visit(node):
                if id(node) not in seen:
                    seen.add(id(node))
                    for parent in node._parents:
                        visit(parent)
                    order.append(node)

            visit(self)
            for node in order:
                node.grad = 0.0
            self.grad = 1.0
            for node in reversed(order):
                for parent, local in zip(node._parents, node._local_grads):
                    parent.grad += node.grad * local
            ### END SOLUTION
    """),
    tests("a2_scalar_tests", 5, """
    def engine(cls, f, *xs):
        \"\"\"f's value and its partial derivatives, computed by the engine cls.\"\"\"
        leaves = [cls(x) for x in xs]
        out = f(*leaves)
        out.backward()
        return np.array([out.data] + [leaf.grad for leaf in leaves])

    def f1(a, b):
        return a * b + a                      # df/da = b + 1, df/db = a

    def your_engine_f1(a, b):
        return engine(Scalar, f1, a, b)

    def reference_f1(a, b):
        return engine(autodiff.Value, f1, a, b)

    check_function(your_engine_f1, reference_f1, [Case("a * b + a", 2.0, -3.0)], rtol=1e-10)
    ### BEGIN HIDDEN TESTS
    def f2(a, b, c):
        return (a * b + c).tanh() * a + (b * c).exp() - a * a

    def your_engine_f2(a, b, c):
        return engine(Scalar, f2, a, b, c)

    def reference_f2(a, b, c):
        return engine(autodiff.Value, f2, a, b, c)

    cases = seeded_cases(lambda r: Case("random", *[float(v) for v in r.normal(size=3)]), 4, seed=201)
    check_function(your_engine_f2, reference_f2, cases, rtol=1e-10, forbid=[autodiff])
    # backward twice gives the same gradients
    a, b = Scalar(1.5), Scalar(-0.5)
    out = (a * b).tanh() + a
    out.backward(); first = (a.grad, b.grad)
    out.backward(); second = (a.grad, b.grad)
    if first != second:
        raise GradingError(f"calling backward twice changed the gradients: {first} then {second}; "
                           "reset every .grad to 0 at the start of backward")
    ### END HIDDEN TESTS
    print("Scalar: tests passed")
    """),
    md("""
    ## Part 2: a two-layer network, forward (3 points)

    The network of the lecture notes, with biases and a batch of `N` examples:
    $H = \\sigma(X W_1^\\top + b_1)$, $O = \\sigma(H W_2^\\top + b_2)$, with `x: (N, D)`,
    `W1: (H, D)`, `b1: (H,)`, `W2: (K, H)`, `b2: (K,)`. Return the output `O: (N, K)` and a
    `cache` (anything you like: `mlp_backward` receives it).
    """),
    answer("a2_mlp_forward", """
    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))


    def mlp_forward(x, W1, b1, W2, b2):
        \"\"\"Two-layer sigmoid network. Returns (O: (N, K), cache).\"\"\"
        ### BEGIN SOLUTION
        h = sigmoid(x @ W1.T + b1)
        o = sigmoid(h @ W2.T + b2)
        return o, (x, W1, W2, h, o)
        ### END SOLUTION
    """),
    tests("a2_mlp_forward_tests", 3, """
    def mlp_reference(x, W1, b1, W2, b2):
        h = F.sigmoid(F.linear(x, W1, b1))
        return F.sigmoid(F.linear(h, W2, b2))

    def random_net(r, n=5, d=4, h=3, k=2):
        return Case("random network", r.normal(size=(n, d)), r.normal(size=(h, d)), r.normal(size=h),
                    r.normal(size=(k, h)), r.normal(size=k))

    def your_output(*args):
        return mlp_forward(*args)[0]

    check_function(your_output, mlp_reference, seeded_cases(random_net, 1, seed=202))
    ### BEGIN HIDDEN TESTS
    check_function(your_output, mlp_reference, seeded_cases(random_net, 3, seed=203), forbid=[F])
    ### END HIDDEN TESTS
    print("mlp_forward: tests passed")
    """),
    md("""
    ## Part 3: backpropagation (5 points)

    Given `dO = dL/dO` (same shape as `O`) and the cache, return `(dW1, db1, dW2, db2)`, the
    gradients of the loss with respect to each parameter. Use $\\sigma'(z) = \\sigma(z)(1-\\sigma(z))$.
    Don't forget the biases: a bias gradient is the sum over the batch.
    """),
    answer("a2_mlp_backward", """
    def mlp_backward(dO, cache):
        \"\"\"Gradients (dW1, db1, dW2, db2) of the loss, given dO = dL/dO: (N, K).\"\"\"
        ### BEGIN SOLUTION
        x, W1, W2, h, o = cache
        dz2 = dO * o * (1 - o)
        dW2 = dz2.T @ h
        db2 = dz2.sum(axis=0)
        dh = dz2 @ W2
        dz1 = dh * h * (1 - h)
        dW1 = dz1.T @ x
        db1 = dz1.sum(axis=0)
        return dW1, db1, dW2, db2
        ### END SOLUTION
    """),
    tests("a2_mlp_backward_tests", 5, """
    def backward_reference(x, W1, b1, W2, b2, dO):
        z1, c1 = F.linear_forward(x, W1, b1)
        h, c2 = F.sigmoid_forward(z1)
        z2, c3 = F.linear_forward(h, W2, b2)
        o, c4 = F.sigmoid_forward(z2)
        dh, dW2, db2 = F.linear_backward(F.sigmoid_backward(dO, c4), c3)
        _, dW1, db1 = F.linear_backward(F.sigmoid_backward(dh, c2), c1)
        return dW1, db1, dW2, db2

    def your_backward(x, W1, b1, W2, b2, dO):
        return mlp_backward(dO, mlp_forward(x, W1, b1, W2, b2)[1])

    def random_case(r, n=5, d=4, h=3, k=2):
        return Case("random network", r.normal(size=(n, d)), r.normal(size=(h, d)), r.normal(size=h),
                    r.normal(size=(k, h)), r.normal(size=k), r.normal(size=(n, k)))

    names = ("dW1", "db1", "dW2", "db2")
    check_function(your_backward, backward_reference, seeded_cases(random_case, 1, seed=204), output_names=names)
    ### BEGIN HIDDEN TESTS
    check_function(your_backward, backward_reference, seeded_cases(random_case, 3, seed=205),
                   output_names=names, forbid=[F])
    ### END HIDDEN TESTS
    print("mlp_backward: tests passed")
    """),
    md("""
    ## Part 4: gradient checking (2 points)

    Write `numerical_gradient(f, x, h=1e-6)`: the gradient of a scalar function `f` at the array
    `x` by centred differences, $\\partial f / \\partial x_i \\approx (f(x + h e_i) - f(x - h e_i)) / 2h$,
    for every entry of `x` (any shape). `x` itself must be unchanged afterwards.
    """),
    answer("a2_numerical_gradient", """
    def numerical_gradient(f, x, h=1e-6):
        \"\"\"Centred-difference gradient of scalar f at x (any shape). Returns an array like x.\"\"\"
        ### BEGIN SOLUTION
        x = np.array(x, dtype=np.float64)
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            plus = f(x.copy())
            x[i] = old - h
            minus = f(x.copy())
            x[i] = old
            grad[i] = (plus - minus) / (2 * h)
        return grad
        ### END SOLUTION
    """),
    tests("a2_numerical_gradient_tests", 2, """
    def quartic(v):
        return float(np.sum(v ** 4) + np.prod(np.sin(v)))

    def yours(x):
        return numerical_gradient(quartic, x)

    def reference(x):
        return gradcheck.numerical_gradient(quartic, x)

    check_function(yours, reference, [Case("a vector", np.array([0.5, -1.0, 2.0]))], rtol=1e-6)
    ### BEGIN HIDDEN TESTS
    check_function(yours, reference, seeded_cases(lambda r: Case("a matrix", r.normal(size=(2, 3))), 2, seed=206),
                   rtol=1e-6, forbid=[gradcheck])
    ### END HIDDEN TESTS
    print("numerical_gradient: tests passed")
    """),
    md("""
    ## Part 5: the lecture notes' worked example (3 points)

    The notes train a 3-2-2 sigmoid network without biases on one example:
    $\\mathbf x = (10, 30, 20)$, $\\mathbf t = (1, 0)$, $\\eta = 0.1$, hidden weights
    `W1 = [[0.2, -0.1, 0.4], [0.7, -1.2, 1.2]]`, output weights `W2 = [[1.1, 0.1], [3.1, 1.17]]`,
    and the loss $E = \\frac12 \\sum_k (t_k - o_k)^2$. Using your `mlp_forward` and `mlp_backward`
    (with zero biases), write `notes_backprop_step(x, t, W1, W2, eta)` returning the weights after one
    gradient-descent step, `(W1_new, W2_new)`. (The notes round their intermediate values and have a
    slip or two in the tables: your exact answer is what the tests check.)
    """),
    answer("a2_notes_example", """
    def notes_backprop_step(x, t, W1, W2, eta):
        \"\"\"One step of gradient descent on E = 1/2 sum (t - o)^2 for one example x: (D,), t: (K,).\"\"\"
        ### BEGIN SOLUTION
        b1, b2 = np.zeros(W1.shape[0]), np.zeros(W2.shape[0])
        o, cache = mlp_forward(x[None, :], W1, b1, W2, b2)
        dO = o - t[None, :]                     # dE/dO for the squared error
        dW1, _, dW2, _ = mlp_backward(dO, cache)
        return W1 - eta * dW1, W2 - eta * dW2
        ### END SOLUTION
    """),
    tests("a2_notes_example_tests", 3, """
    def reference_step(x, t, W1, W2, eta):
        ex = worked.backprop_example(x, t, w_hidden=W1, w_output=W2, eta=eta)
        return ex.w_hidden_new, ex.w_output_new

    notes = Case("the notes' example", worked.BACKPROP_X, worked.BACKPROP_T, worked.BACKPROP_W_HIDDEN,
                 worked.BACKPROP_W_OUTPUT, worked.BACKPROP_ETA)
    check_function(notes_backprop_step, reference_step, [notes], output_names=("W1_new", "W2_new"), rtol=1e-9)
    ### BEGIN HIDDEN TESTS
    other = seeded_cases(lambda r: Case("another network", r.normal(size=3), np.array([0.0, 1.0]),
                                        r.normal(size=(2, 3)), r.normal(size=(2, 2)), 0.5), 2, seed=207)
    check_function(notes_backprop_step, reference_step, other, output_names=("W1_new", "W2_new"),
                   rtol=1e-9, forbid=[worked, F])
    ### END HIDDEN TESTS
    print("notes_backprop_step: tests passed")
    """),
    md("""
    ## Part 6: train on iris (2 points)

    Train a 4-8-3 network (your `mlp_forward`/`mlp_backward`, squared error on one-hot targets,
    full-batch gradient descent) on the iris flowers. `train_iris(x_train, y_train, x_test, y_test, seed)`
    returns the accuracy on the test set; initialise the weights with
    `np.random.default_rng(seed)` (e.g. normal with standard deviation 0.5). The test asks for at
    least 90% test accuracy within two seconds or so; standardise the features first.
    """),
    answer("a2_train_iris", """
    def train_iris(x_train, y_train, x_test, y_test, seed=0):
        \"\"\"Train a 4-8-3 sigmoid network on iris; return the test accuracy (a float in [0, 1]).\"\"\"
        ### BEGIN SOLUTION
        rng = np.random.default_rng(seed)
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        xs, xt = (x_train - mean) / std, (x_test - mean) / std
        T = np.eye(3)[y_train]
        W1, b1 = rng.normal(0, 0.5, size=(8, 4)), np.zeros(8)
        W2, b2 = rng.normal(0, 0.5, size=(3, 8)), np.zeros(3)
        lr = 2.0 / len(xs)
        for epoch in range(1500):
            o, cache = mlp_forward(xs, W1, b1, W2, b2)
            dW1, db1, dW2, db2 = mlp_backward(o - T, cache)
            W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
        pred = mlp_forward(xt, W1, b1, W2, b2)[0].argmax(axis=1)
        return float(np.mean(pred == y_test))
        ### END SOLUTION
    """),
    tests("a2_train_iris_tests", 2, """
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    iris = load_iris()
    x_tr, x_te, y_tr, y_te = train_test_split(iris.data, iris.target, test_size=0.3, random_state=0,
                                              stratify=iris.target)
    accuracy = train_iris(x_tr, y_tr, x_te, y_te, seed=0)
    print(f"test accuracy: {accuracy:.3f}")
    if not accuracy >= 0.9:
        raise GradingError(f"train_iris reached a test accuracy of {accuracy:.3f}; at least 0.9 is needed")
    ### BEGIN HIDDEN TESTS
    accuracy = train_iris(x_tr, y_tr, x_te, y_te, seed=1)
    if not accuracy >= 0.9:
        raise GradingError(f"with seed=1 train_iris reached {accuracy:.3f}; at least 0.9 is needed")
    ### END HIDDEN TESTS
    print("train_iris: tests passed")
    """),
]

def relu_backward(dout, z):
    return dout * (z > 0).to(dout.dtype)


def safe_div(a, b):
    if b == 0:
        raise ValueError("division by zero")
    return a / b


def scale(x):
    return 2 * x


def count(items):
    return len(items)


def use_model(model, x):
    return model(x)

def relu_backward(dout, z):
    raise NotImplementedError


def safe_div(a, b):
    raise NotImplementedError


def scale(x):
    raise NotImplementedError


def count(items):
    raise NotImplementedError


def use_model(model, x):
    raise NotImplementedError

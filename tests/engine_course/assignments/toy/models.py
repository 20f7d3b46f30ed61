def adder(k):
    return lambda x: x + k

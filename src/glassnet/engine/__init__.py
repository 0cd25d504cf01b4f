"""The engine: layers, losses, optimizers and the training loop, in NumPy alone."""

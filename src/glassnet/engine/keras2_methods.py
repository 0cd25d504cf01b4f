"""Keras 2's model methods, still in the tutorials: ``fit_generator``, ``predict_classes``...

Keras 3 (and TensorFlow since 2.6) removed them. A program copied from an older tutorial
still runs on glassnet: each is today's method, with a DeprecationWarning that names it.
"""

import warnings


class Keras2Methods:
    """Mixed into :class:`~glassnet.engine.training.Trainer`."""

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose="auto", callbacks=None,
                      validation_data=None, validation_steps=None, class_weight=None, initial_epoch=0,
                      **ignored_workers):
        """Keras 2's ``fit_generator``: :meth:`fit` on the generator."""
        _renamed("fit_generator", "fit")
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
                        class_weight=class_weight, initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, verbose=0, **ignored_workers):
        """Keras 2's ``evaluate_generator``: :meth:`evaluate` on the generator."""
        _renamed("evaluate_generator", "evaluate")
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, verbose=0, **ignored_workers):
        """Keras 2's ``predict_generator``: :meth:`predict` on the generator."""
        _renamed("predict_generator", "predict")
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 2's ``predict_classes``: the likeliest class of each sample
        (``np.argmax(model.predict(x), axis=-1)``; a single sigmoid output: ``p > 0.5``)."""
        _renamed("predict_classes", "np.argmax(model.predict(x), axis=-1)")
        probabilities = self.predict(x, batch_size=batch_size, verbose=verbose)
        if probabilities.shape[-1] > 1:
            return probabilities.argmax(axis=-1)
        return (probabilities > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Keras 2's ``predict_proba``: :meth:`predict`."""
        _renamed("predict_proba", "predict")
        return self.predict(x, batch_size=batch_size, verbose=verbose)


def _renamed(old, new):
    warnings.warn(f"model.{old} is Keras 2's; Keras 3 removed it: use {new}", DeprecationWarning, stacklevel=3)

"""Training callbacks, with the same method names as gensim's CallbackAny2Vec so existing callbacks work."""


class CallbackAny2Vec:
    """Base class: override any of the hooks. Each receives the model being trained."""

    def on_train_begin(self, model):
        pass

    def on_epoch_begin(self, model):
        pass

    def on_epoch_end(self, model):
        pass

    def on_train_end(self, model):
        pass


def call_hook(callbacks, name, model):
    """Call hook `name` on every callback that has it (gensim callbacks need not subclass ours)."""
    for cb in callbacks:
        hook = getattr(cb, name, None)
        if hook is not None:
            hook(model)

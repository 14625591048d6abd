"""The exceptions w2vfast raises for files it cannot accept.

Every reader of a file someone else may have made (whole models, word2vec text/binary vectors, vocabulary
files, corpora) reports a file it refuses with FormatError, a ValueError whose message names the file and
what is wrong with it. Code that loads untrusted files needs to catch this one type only; anything else
escaping a loader is a bug.
"""


class FormatError(ValueError):
    """A file that is damaged, hostile or not of the expected format; the message names the file."""


class MissingDependency(ImportError, NotImplementedError):
    """A feature that needs an optional package which is not installed; the message says which to install.

    Both an ImportError (what gensim raises in the same place) and a NotImplementedError (the feature is
    not available in this installation), so either kind of handler catches it.
    """

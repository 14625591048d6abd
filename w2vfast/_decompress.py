"""Damaged compressed input reported as FormatError naming the file.

Python's gzip, bz2 and lzma modules report a damaged stream with several unrelated exceptions (zlib.error,
EOFError for a cut-off stream, lzma.LZMAError, gzip.BadGzipFile and bz2's bare OSError("Invalid data
stream")), none of which names the file. Readers wrap their reads in `compressed_errors(name)` so the
caller sees one FormatError instead. Real I/O failures (an OSError with an errno) pass through unchanged.
"""
import contextlib
import lzma
import zlib

from .errors import FormatError

__all__ = ["compressed_errors", "as_format_error"]


def as_format_error(exc, name):
    """The FormatError to raise for `exc` met while decompressing `name`, or None when exc is not a
    sign of damaged data."""
    if isinstance(exc, (zlib.error, lzma.LZMAError)) or type(exc) is EOFError:
        pass
    elif isinstance(exc, OSError) and exc.errno is None:
        pass
    else:
        return None
    detail = str(exc) or type(exc).__name__
    return FormatError(f"{name}: damaged compressed data: {detail}")


@contextlib.contextmanager
def compressed_errors(name):
    """Re-raise decompression failures inside the block as FormatError naming `name`."""
    try:
        yield
    except (zlib.error, lzma.LZMAError, EOFError, OSError) as exc:
        err = as_format_error(exc, name)
        if err is None:
            raise
        raise err from exc

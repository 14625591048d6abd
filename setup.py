"""Build the Cython extensions.

The default build is portable: it targets the baseline of the machine's architecture (x86-64 or aarch64)
and reaches AVX2/AVX-512 through GCC function multiversioning inside w2vfast/_vecmath.h, chosen at run
time. Set W2VFAST_NATIVE=1 to compile everything for the build machine (-march=native) instead.

On Linux the extensions are linked stripped (no symbol or debug tables: about a tenth of the size); set
W2VFAST_KEEP_SYMBOLS=1 to keep them for a debugger or profiler.
"""
import os
import sys

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup


def _compile_args():
    if sys.platform == "win32":
        return ["/O2"]
    args = ["-O3", "-fopenmp-simd", "-fno-math-errno", "-Wno-unused-function"]
    if os.environ.get("W2VFAST_NATIVE") == "1":
        args.append("-march=native")
    return args


def _link_args():
    if sys.platform.startswith("linux") and os.environ.get("W2VFAST_KEEP_SYMBOLS") != "1":
        return ["-Wl,--strip-all"]
    return []


def _extension(name):
    return Extension(
        f"w2vfast.{name}",
        sources=[f"w2vfast/{name}.pyx"],
        include_dirs=[np.get_include(), "w2vfast"],
        extra_compile_args=_compile_args(),
        extra_link_args=_link_args(),
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )


setup(
    ext_modules=cythonize(
        [_extension("_kernels"), _extension("_corpus"), _extension("_fastio"), _extension("_probe"),
         _extension("_phrases"), _extension("_stopflag"), _extension("_splitter")],
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    ),
)

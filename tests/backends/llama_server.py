"""``python -m llama_cpp.server`` with the model loaded as promptlint loads it.

llama-cpp-python's server builds its model with ``Llama(...)``, which lets
llama.cpp use its extra (repacking) buffer types; on CPUs with AMX that crashes
on the first decode. This launcher applies promptlint's policy
(:func:`promptlint.backends.loader.extra_buffer_types_policy`) to the default
model parameters, then runs the server's own ``__main__`` with the same
arguments. Test peer only.
"""

from __future__ import annotations

import runpy

import llama_cpp.llama_cpp as low

from promptlint.backends.loader import extra_buffer_types_policy

_default = low.llama_model_default_params


def _params():  # noqa: ANN202
    params = _default()
    params.use_extra_bufts = extra_buffer_types_policy(None)[0]
    return params


low.llama_model_default_params = _params
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)

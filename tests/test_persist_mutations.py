"""Structured mutation of a valid saved model: every variant either loads to a usable model or raises
FormatError. Runs in-process, so a crash in the loader (or in training the loaded model) fails the suite.

The number of examples is bounded and the run derandomized so the suite stays fast and reproducible; longer
campaigns belong in bench/.
"""
import json

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="the mutation tests need hypothesis (the test extra)")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from model_files import members_of, small_model, write_members  # noqa: E402
from w2vfast import FormatError, Word2Vec  # noqa: E402

EXAMPLES = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class Saved(tuple):
    def __repr__(self):  # hypothesis prints the arguments of a failing example: keep that readable
        return "<the saved small model>"


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    path = tmp_path_factory.mktemp("orig") / "m.model"
    small_model().save(path)
    return Saved((path.read_bytes(), members_of(path)))


def check_outcome(path, mmap):
    """Load; a refusal must be FormatError, an acceptance must give a model that works."""
    try:
        model = Word2Vec.load(path, mmap=mmap)
    except FormatError as exc:
        assert path.name in str(exc)
        return False
    keys = model.wv.index_to_key
    assert model.wv.vectors.shape == (len(keys), model.vector_size)
    with np.errstate(all="ignore"):  # finite but huge values are not refused (see the README)
        model.wv.most_similar(keys[0], topn=2)
    if mmap == "r":
        return True
    model._kernel_model(False)  # the kernels' own checks of every array accept the loaded tables
    if model.max_sentence_length <= 10_000 and model.window <= 1000:  # else training a toy takes a while
        model.workers = 1
        # a usual learning rate: a file may set alpha=1e300, which is valid and then diverges, as it should
        model.train([keys[:6], keys[::-1][:6]] * 3, total_examples=6, epochs=1, start_alpha=0.025, end_alpha=1e-4)
    return True


def load_all_ways(path):
    outcomes = [check_outcome(path, mmap) for mmap in (None, "r", "c")]
    hypothesis.event(f"loaded {sum(outcomes)} of 3 ways")  # see pytest --hypothesis-show-statistics
    return outcomes


@EXAMPLES
@given(data=st.data())
def test_byte_flips_and_truncations(tmp_path, original, data):
    raw = bytearray(original[0])
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    if data.draw(st.booleans()):
        raw = raw[:data.draw(st.integers(0, len(raw)))]
    path = tmp_path / "flip.model"
    path.write_bytes(bytes(raw))
    outcomes = load_all_ways(path)
    # A mapped load with verify=True checks exactly what a full read checks
    assert outcomes[0] == outcomes[1] == outcomes[2]


@EXAMPLES
@given(data=st.data())
def test_bit_flips_inside_members_with_valid_crcs(tmp_path, original, data):
    # Re-zipped, so the CRC matches and the checks behind it (headers, shapes, tree, values) get the bytes
    members = dict(original[1])
    name = data.draw(st.sampled_from(sorted(members)))
    content = bytearray(members[name])
    for _ in range(data.draw(st.integers(1, 3))):
        content[data.draw(st.integers(0, len(content) - 1))] ^= 1 << data.draw(st.integers(0, 7))
    members[name] = bytes(content)
    load_all_ways(write_members(tmp_path / "bits.model", members))


@EXAMPLES
@given(data=st.data())
def test_member_swaps_drops_and_renames(tmp_path, original, data):
    members = dict(original[1])
    names = sorted(members)
    op = data.draw(st.sampled_from(["swap", "drop", "rename", "duplicate-content"]))
    a, b = data.draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
    if op == "swap":
        members[a], members[b] = members[b], members[a]
    elif op == "drop":
        del members[a]
    elif op == "rename":
        members[data.draw(st.sampled_from(["x.npy", "syn0", "model.json.bak", "../syn0.npy", b]))] = members.pop(a)
    else:
        members[a] = members[b]
    load_all_ways(write_members(tmp_path / "swap.model", members))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)


# values a setting or state attribute could well have, so that edits often pass the type checks
plausible = st.integers(-2, 12) | st.sampled_from([0.0, 0.5, 1e-9, 1e300, 2**31, 2**63, 2**64, True, "global"])


@EXAMPLES
@given(data=st.data())
def test_json_edits(tmp_path, original, data):
    members = dict(original[1])
    meta = json.loads(members["model.json"])
    for _ in range(data.draw(st.integers(1, 3))):
        blocks = [b for b in (meta, meta.get("settings"), meta.get("state")) if isinstance(b, dict)]
        block = data.draw(st.sampled_from(blocks))
        known = data.draw(st.integers(0, 9)) > 0  # mostly edit what is there; sometimes add a stranger
        key = data.draw(st.sampled_from(sorted(block)) if known else st.text(max_size=12))
        if data.draw(st.integers(0, 3)) == 0 and key in block:
            del block[key]
        elif key == "keys":  # keep it a list mostly, so the checks past the type get exercised
            block[key] = data.draw(st.lists(st.text(max_size=3), max_size=12) | json_values)
        else:
            block[key] = data.draw(plausible if data.draw(st.integers(0, 3)) else json_values)
    members["model.json"] = json.dumps(meta).encode()
    load_all_ways(write_members(tmp_path / "json.model", members))

"""Search attribute values stay within what a Temporal server accepts (2,048 bytes each):
a larger one fails the workflow task on every attempt, and the mandate stops."""

from __future__ import annotations

from temporalio.converter import PayloadConverter

from workflows.search_attributes import VALUE_BYTES, within_value_limit

SERVER_LIMIT = 2_048  # what a dev server refused: "value size 2271 exceeds size limit 2048"


def size(values: list[str]) -> int:
    return len(PayloadConverter.default.to_payloads([values])[0].data)


def test_a_list_that_fits_is_published_as_it_is() -> None:
    names = ["Austria", "Mexico", "OECD Working Group on Bribery"]
    assert within_value_limit(names) == names
    assert within_value_limit([]) == []
    just_fits = ["x" * (SERVER_LIMIT - 4)]  # ["..."]: the quotes and brackets make 2,048
    assert size(just_fits) == SERVER_LIMIT and within_value_limit(just_fits) == just_fits


def test_every_state_party_is_cut_to_the_first_that_fit_and_a_count_of_the_rest() -> None:
    names = [f"Bolivia (Plurinational State of) {n}" for n in range(191)]
    assert size(names) > SERVER_LIMIT  # what the server would refuse

    published = within_value_limit(names)

    assert size(published) <= VALUE_BYTES == SERVER_LIMIT
    kept, more = published[:-1], published[-1]
    assert kept == names[: len(kept)] and len(kept) > 10
    assert more == f"+{len(names) - len(kept)} more"


def test_names_are_measured_as_the_server_sees_them_escaped() -> None:
    names = [f"Côte d’Ivoire — délégation {n}" for n in range(80)]  # \\u escapes: 6 bytes a letter
    published = within_value_limit(names)
    assert size(published) <= VALUE_BYTES
    assert published[-1].startswith("+") and published[-1].endswith(" more")


def test_one_name_too_long_for_the_value_leaves_only_the_count() -> None:
    assert within_value_limit(["x" * 3_000]) == ["+1 more"]

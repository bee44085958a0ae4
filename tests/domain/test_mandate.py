"""Mandates: their ids and the ids of their consultations."""

import pytest

from domain.mandate import consultation_workflow_id, mandate_id, slugify


def test_ids_are_lowercase_slugs() -> None:
    assert mandate_id("cosp-7-enhancing-synergies", 1) == "mandate-cosp-7-enhancing-synergies-para-1"
    assert mandate_id("COSP 7/6 Synergies", 12) == "mandate-cosp-7-6-synergies-para-12"
    assert slugify("Résolution 7/6") == "resolution-7-6"
    assert consultation_workflow_id("mandate-x-para-1", "consult") == "mandate-x-para-1--consult"
    with pytest.raises(ValueError):
        mandate_id("///", 1)

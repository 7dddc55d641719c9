"""Exposure control parameters of the live bank, computed by simulation and stored."""

import pytest
from django.core.management import CommandError, call_command

from langcert.catalog.models import Language
from langcert.core.models import AuditEvent
from langcert.delivery.adaptive import SECTION_ORDER, skill_bank
from langcert.itembank.models import Item


@pytest.mark.django_db
def test_calibration_stores_parameters_the_next_test_uses(synthetic_bank, capsys):
    english = Language.objects.get(code="en")
    before = skill_bank(english.pk, "grammar")
    assert (before.pool.sh_k == 1).all()
    # 24 items a skill, 10 a test: no item can stay under 10/24 on average; 0.6 is reachable.
    call_command("calibrate_exposure", "en", "--target", "0.6", "--candidates", "600",
                 "--rounds", "6")
    out = capsys.readouterr().out
    for skill in SECTION_ORDER:
        line = next(row for row in out.splitlines() if row.startswith(skill))
        uncontrolled, controlled = (float(v) for v in line.split()[-3::2])
        assert uncontrolled > 0.6, line  # the best items went to nearly everyone ...
        assert controlled <= 0.7, line  # ... and no longer do
    stored = Item.objects.filter(language=english, skill="grammar")
    assert stored.filter(exposure_k__lt=1).exists()
    assert all(0 < item.exposure_k <= 1 for item in stored)
    # The adaptive test rebuilds the bank with the stored parameters.
    after = skill_bank(english.pk, "grammar")
    by_id = {item.pk: item.exposure_k for item in stored}
    assert [round(k, 6) for k in after.pool.sh_k[:, 0]] == [
        by_id[int(i)] for i in after.pool.item_ids]
    event = AuditEvent.objects.get(action="itembank.exposure_calibrated")
    assert event.data["target"] == 0.6 and set(event.data["max_exposure"]) == set(SECTION_ORDER)


@pytest.mark.django_db
def test_calibration_refuses_bad_input_and_changes_nothing(synthetic_bank):
    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command("calibrate_exposure", "en", "--target", "1.5")
    with pytest.raises(CommandError, match="No language"):
        call_command("calibrate_exposure", "xx")
    with pytest.raises(CommandError, match="no items"):
        call_command("calibrate_exposure", "fr")
    assert not Item.objects.exclude(exposure_k=1).exists()
    assert not AuditEvent.objects.filter(action="itembank.exposure_calibrated").exists()

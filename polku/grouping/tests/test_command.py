"""manage.py group_cards: the console's grouping for a JSON file of card texts."""

import json

import pytest
from django.core.management import CommandError, call_command

from polku.grouping.tests.test_engine import WALL, needs_voikko


@needs_voikko
def test_group_cards_prints_one_label_per_card(tmp_path, capsys):
    path = tmp_path / "cards.json"
    path.write_text(json.dumps([t for _, t in WALL]), encoding="utf-8")
    call_command("group_cards", str(path))
    labels = json.loads(capsys.readouterr().out)
    assert len(labels) == 10
    assert labels[6] == labels[7] == labels[8]  # kummi, kummi, perehdytys
    assert labels[3] == labels[4] == labels[5]  # raha, raha, sponsorit
    assert labels[9] not in labels[:9]  # the coffee machine stays on its own


def test_group_cards_refuses_what_is_not_a_list_of_texts(tmp_path):
    bad = tmp_path / "bad.json"
    for content, message in [
        ('{"a": 1}', "The file must hold a JSON list of strings (card texts)."),
        ("[1, 2]", "The file must hold a JSON list of strings (card texts)."),
    ]:
        bad.write_text(content, encoding="utf-8")
        with pytest.raises(CommandError) as error:
            call_command("group_cards", str(bad))
        assert str(error.value) == message
    bad.write_text("[not json", encoding="utf-8")
    with pytest.raises(CommandError, match=r"^Cannot read a JSON list of card texts"):
        call_command("group_cards", str(bad))


def test_group_cards_single_card_gets_its_own_label_and_a_reason(tmp_path, capsys):
    path = tmp_path / "one.json"
    path.write_text('["Yksi kortti"]', encoding="utf-8")
    call_command("group_cards", str(path))
    out = capsys.readouterr()
    assert json.loads(out.out) == [0]
    assert "vähintään kolme korttia" in out.err

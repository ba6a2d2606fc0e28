from pathlib import Path

from iitbench.data.types import ImagePart, Item, TextPart, Turn
from iitbench.models.protocol import ImageRef
from iitbench.runner.render import PromptFormat, parse_choice, render

T0 = Turn(kind="T", source="s", parts=(TextPart("What is 2+2?"),), choices=("3", "4"), answer=1)
T1 = Turn(kind="V", source="s", parts=(TextPart("Look "), ImagePart("images/a.png"), TextPart(" colour?")),
          choices=("red", "green", "blue"), answer=2)
ITEM = Item(id="x", config="TV", turns=(T0, T1), scored_turn=1)


def test_turn_becomes_user_message_with_options_and_instruction():
    msgs = render(ITEM, 1, Path("/d"), PromptFormat(), ["B"])
    assert [m.role for m in msgs] == ["user", "assistant", "user"]
    assert msgs[0].text == "What is 2+2?\nA. 3\nB. 4\nAnswer with the option's letter from the given choices directly."
    assert msgs[1].text == "B"
    assert msgs[2].parts[:3] == (TextPart("Look "), ImageRef(Path("/d"), "images/a.png"), TextPart(" colour?"))
    assert msgs[2].parts[3].text == "\nA. red\nB. green\nC. blue\nAnswer with the option's letter from the given choices directly."


def test_candidates_are_letters_or_option_texts():
    assert PromptFormat().candidates_for(T1) == ("A", "B", "C")
    fmt = PromptFormat.for_candidates("text")
    assert fmt.candidates_for(T1) == ("red", "green", "blue")
    assert fmt.context_answer(T0, 1) == "4"
    assert "option's text" in render(ITEM, 0, Path("/d"), fmt, [])[0].text


def test_prompt_hash_changes_with_the_format():
    assert PromptFormat().hash == PromptFormat().hash
    assert PromptFormat().hash != PromptFormat.for_candidates("text").hash


def test_parse_choice_reads_a_leading_letter_or_option_text():
    fmt = PromptFormat()
    assert parse_choice("B", T1, fmt) == 1
    assert parse_choice(" (C) because", T1, fmt) == 2
    assert parse_choice("Answer: A", T1, fmt) == 0
    assert parse_choice("D", T1, fmt) is None  # only 3 options
    assert parse_choice("not sure", T1, fmt) is None
    assert parse_choice("Blue.", T1, PromptFormat.for_candidates("text")) == 2

import re

from iitbench.runner.render import TEXT_INSTRUCTION
from iitbench.sources.synth import answer_vocabulary, load_synth
from iitbench.zoo.corpus import CorpusSpec, build_corpus, chatml, question_text


def test_same_seed_gives_same_corpus_and_other_seed_differs(micro_corpus, micro_spec):
    assert build_corpus(micro_spec) == micro_corpus
    other = build_corpus(CorpusSpec(n_statements=6, n_single=6, n_multi=6, world_repeats=1, seed=1))
    assert other.instructions != micro_corpus.instructions


def test_pretraining_text_contains_every_answer_word_and_option_letter(micro_corpus):
    words = set(re.findall(r"[A-Za-z0-9]+", " ".join(micro_corpus.pretrain)))
    missing = sorted(answer_vocabulary() - words)
    assert not missing, missing[:10]
    assert {"A", "B", "C", "D"} <= words


def test_instruction_user_message_is_the_evaluation_prompt(micro_corpus):
    conv = micro_corpus.instructions[0]
    user, answer = conv.messages[0], conv.messages[1]
    # The zoo answers with the option text (ANSWER_FORMAT): the user message is the runner's text-format prompt.
    assert user.role == "user" and user.content.endswith(TEXT_INSTRUCTION)
    assert "\nA. " in user.content and "\nD. " in user.content
    options = [line[3:] for line in user.content.split("\n") if line[:3] in ("A. ", "B. ", "C. ", "D. ")]
    assert answer.role == "assistant" and answer.content in options
    text = chatml(conv.messages)
    assert text.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n")


def test_corpus_has_multi_turn_dialogues(micro_corpus):
    turns = {len(c.messages) // 2 for c in micro_corpus.instructions}
    assert {1, 2} <= turns and max(turns) <= 3


def _corpus_questions(corpus) -> set[str]:
    out = set()
    for doc in corpus.pretrain:
        out.add(doc.split("\nA. ")[0].split(" The answer is")[0])
    for conv in corpus.instructions:
        out |= {m.content.split("\nA. ")[0] for m in conv.messages if m.role == "user"}
    return out


def test_corpus_uses_no_test_or_dev_question_text():
    corpus = build_corpus(CorpusSpec(n_statements=60, n_single=60, n_multi=30, world_repeats=1))
    seen = _corpus_questions(corpus)
    train = {question_text(q) for q in load_synth("train", 60, 1, kinds=("T",))}
    assert seen & train  # the check can see overlap: train draws do repeat across seeds
    for split in ("test", "dev"):
        held_out = {question_text(q) for q in load_synth(split, 60, 0, kinds=("T",))}
        assert not seen & held_out, sorted(seen & held_out)[:5]

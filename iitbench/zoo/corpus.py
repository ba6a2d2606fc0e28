"""Deterministic training text for the tiny zoo, drawn from IIT-synth's **train** split only.

Two kinds of documents:

- pre-training text (loss on every token): `world_sentences()`, plain "question -> answer" statements, the same
  statements with lettered options ("... The answer is blue, option C."), and one listing per family of every option
  string it can emit, so every word of `answer_vocabulary()` and every option letter is seen in pre-training (a token
  first met at fine-tuning time drifts under AdamW and is hard to learn later);
- instruction conversations (loss on the assistant's answers only) in exactly the evaluation format: the user
  message is the question, "\\nA. opt\\nB. opt..." and the runner's letter instruction; the assistant says the gold
  letter. Multi-turn dialogues (2-3 text questions) show earlier Q/A turns as context, as the IIT configs do.

Each role draws from its own synth seed, so the statements, single-turn and multi-turn sets are different draws.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from iitbench.data.types import Question, TextPart
from iitbench.runner.render import LETTERS, PromptFormat
from iitbench.sources.synth import FAMILIES, TEXT_FAMILIES, load_synth, world_sentences

SYSTEM_PROMPT = "You are a helpful assistant."  # the default system turn of the ChatML template (as Qwen and WINGS)
TRAIN_SPLIT = "train"
_LIST_CHUNK = 24  # answer words per vocabulary sentence


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Conversation:
    """A ChatML dialogue; the loss is on the assistant messages."""

    id: str
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class CorpusSpec:
    """How much of each document kind to draw (per text family) and from which base seed."""

    n_statements: int = 3000
    n_single: int = 1500
    n_multi: int = 3000
    world_repeats: int = 20
    seed: int = 0


@dataclass(frozen=True)
class Corpus:
    pretrain: tuple[str, ...]
    instructions: tuple[Conversation, ...]


def question_text(q: Question) -> str:
    return "".join(p.text for p in q.parts if isinstance(p, TextPart))


#: The zoo answers with the option's text, not its letter: a ~1M-parameter model trained for minutes does not learn
#: to bind an answer to its option letter (base-tiny trained on letter answers stayed at chance on the text suite,
#: with flat letter scores; benchmarks/RESULTS.md, "Zoo build times and recipe measurements"), while scoring option
#: texts is learnt.
ANSWER_FORMAT = "text"
FORMAT = PromptFormat.for_candidates(ANSWER_FORMAT)


def user_text(question: str, choices: tuple[str, ...], fmt: PromptFormat | None = None) -> str:
    """The user message the runner renders for one text turn (see `iitbench.runner.render.PromptFormat`)."""
    fmt = fmt or FORMAT
    options = "".join(fmt.option_template.format(letter=LETTERS[i], text=c) for i, c in enumerate(choices))
    return question + options + fmt.instruction


def gold_letter(q: Question) -> str:
    return LETTERS[q.answer]


def gold_answer(q: Question) -> str:
    """The assistant's reply in the zoo's answer format (the option text)."""
    return q.choices[q.answer] if ANSWER_FORMAT == "text" else gold_letter(q)


def chatml(messages: tuple[Message, ...], add_generation_prompt: bool = False) -> str:
    """ChatML text, with the default system turn when the first message is not a system one (= the chat template)."""
    out = "" if messages and messages[0].role == "system" else f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n"
    out += "".join(f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages)
    return out + ("<|im_start|>assistant\n" if add_generation_prompt else "")


def _seed(base: int, role: int) -> int:
    return base * 100 + role  # one independent synth draw per document role


def vocabulary_sentences() -> list[str]:
    """Every option string of every family, listed per family, plus the option letters."""
    out = []
    for name in sorted(FAMILIES):
        words = sorted(FAMILIES[name].answer_space)
        for i in range(0, len(words), _LIST_CHUNK):
            out.append(f"Answers to {name} questions include " + ", ".join(words[i:i + _LIST_CHUNK]) + ".")
    out.append("Options are labelled " + ", ".join(LETTERS[:3]) + " and D. The letter of the right option answers.")
    return out


def statements(spec: CorpusSpec) -> list[str]:
    """Plain-text facts of train questions: the bare answer, and the answer with its lettered option."""
    qs = load_synth(TRAIN_SPLIT, spec.n_statements, _seed(spec.seed, 1), kinds=("T",))
    out = []
    for i, q in enumerate(qs):
        text, correct = question_text(q), q.choices[q.answer]
        if i % 2 == 0:
            out.append(f"{text} The answer is {correct}.")
        else:
            options = "".join(f"\n{LETTERS[j]}. {c}" for j, c in enumerate(q.choices))
            out.append(f"{text}{options}\nThe answer is {correct}, option {gold_letter(q)}.")
    return out


def pretrain_texts(spec: CorpusSpec) -> list[str]:
    """All pre-training documents, shuffled by the spec's seed."""
    docs = world_sentences() * spec.world_repeats + vocabulary_sentences() + statements(spec)
    random.Random(_seed(spec.seed, 9)).shuffle(docs)
    return docs


def _turns(qs: list[Question]) -> tuple[Message, ...]:
    msgs: list[Message] = []
    for q in qs:
        msgs += [Message("user", user_text(question_text(q), q.choices)), Message("assistant", gold_answer(q))]
    return tuple(msgs)


def instruction_conversations(spec: CorpusSpec) -> list[Conversation]:
    """Single-turn conversations (one per train question) and 2-3 turn text dialogues, shuffled by seed."""
    single = load_synth(TRAIN_SPLIT, spec.n_single, _seed(spec.seed, 2), kinds=("T",))
    convs = [Conversation(f"single/{q.id}", _turns([q])) for q in single]
    per_family = -(-3 * spec.n_multi // max(1, len(TEXT_FAMILIES)))  # enough questions for 3 turns each
    pool = load_synth(TRAIN_SPLIT, per_family, _seed(spec.seed, 3), kinds=("T",)) if spec.n_multi else []
    rng = random.Random(_seed(spec.seed, 4))
    for i in range(spec.n_multi):
        picked = rng.sample(pool, rng.choice((2, 3)))
        convs.append(Conversation(f"multi/{i}", _turns(picked)))
    rng.shuffle(convs)
    return convs


def build_corpus(spec: CorpusSpec) -> Corpus:
    return Corpus(pretrain=tuple(pretrain_texts(spec)), instructions=tuple(instruction_conversations(spec)))


def all_texts(corpus: Corpus) -> list[str]:
    """Every document as one string (what the tokenizer is trained on)."""
    return list(corpus.pretrain) + [chatml(c.messages) for c in corpus.instructions]


__all__ = ["SYSTEM_PROMPT", "Conversation", "Corpus", "CorpusSpec", "Message", "all_texts", "build_corpus", "chatml",
           "gold_letter", "instruction_conversations", "pretrain_texts", "question_text", "statements", "user_text",
           "vocabulary_sentences"]

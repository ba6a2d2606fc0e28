from transformers import Qwen2Config

from iitbench.zoo.base_llm import conversation_doc
from iitbench.zoo.corpus import chatml
from iitbench.zoo.tokenizer import SPECIAL_TOKENS, encode, load_tokenizer, save_tokenizer

SAMPLE = "What is 23 plus 45?\nA. 68\nB. 58\nAnswer with the option's letter.  tabs\tand   spaces 1234 zorb"


def test_reload_next_to_a_qwen2_config_gives_identical_ids(micro_tokenizer, micro_corpus, tmp_path):
    save_tokenizer(micro_tokenizer, tmp_path)
    Qwen2Config(vocab_size=len(micro_tokenizer), hidden_size=8, intermediate_size=8, num_hidden_layers=1,
                num_attention_heads=1, num_key_value_heads=1).save_pretrained(tmp_path)
    again = load_tokenizer(tmp_path)
    for text in [SAMPLE, chatml(micro_corpus.instructions[0].messages), *micro_corpus.pretrain[:20]]:
        assert encode(again, text) == encode(micro_tokenizer, text)
    assert again.convert_tokens_to_ids(list(SPECIAL_TOKENS)) == [0, 1, 2, 3]
    assert again.eos_token == "<|im_end|>" and again.pad_token == "<|endoftext|>"


def test_chat_template_renders_chatml_exactly(micro_tokenizer, micro_corpus):
    conv = next(c for c in micro_corpus.instructions if len(c.messages) >= 4)
    msgs = [{"role": m.role, "content": m.content} for m in conv.messages]
    assert micro_tokenizer.apply_chat_template(msgs, tokenize=False) == chatml(conv.messages)
    prompt = micro_tokenizer.apply_chat_template(msgs[:1], tokenize=False, add_generation_prompt=True)
    assert prompt == ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                      f"<|im_start|>user\n{msgs[0]['content']}<|im_end|>\n<|im_start|>assistant\n")
    custom = [{"role": "system", "content": "Be brief."}, msgs[0]]
    assert micro_tokenizer.apply_chat_template(custom, tokenize=False).startswith(
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n")


def test_conversation_labels_cover_only_answers_and_ids_match_full_text(micro_tokenizer, micro_corpus):
    conv = next(c for c in micro_corpus.instructions if len(c.messages) >= 4)
    doc = conversation_doc(micro_tokenizer, conv.messages, "answer")
    assert list(doc.ids) == encode(micro_tokenizer, chatml(conv.messages) + "<|endoftext|>")
    scored = micro_tokenizer.decode([i for i, lab in zip(doc.ids, doc.labels) if lab != -100])
    answers = [m.content for m in conv.messages if m.role == "assistant"]
    assert scored == "".join(a + "<|im_end|>" for a in answers)
    full = conversation_doc(micro_tokenizer, conv.messages, "all")
    assert full.labels == full.ids

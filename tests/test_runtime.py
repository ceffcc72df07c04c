"""The shared generation protocol, exercised through the deterministic fake."""

import threading
import time

from models.fake import FakeTextModel
from models.runtime import ChatMessage, StopMatcher


def test_stop_matcher_holds_back_a_partial_stop_and_cuts_at_a_full_one():
    matcher = StopMatcher(["\nQ:"])
    assert matcher.feed("Answer one") == "Answer one"
    assert matcher.feed("\n") == ""  # might be the start of "\nQ:"
    assert matcher.feed("Q") == ""
    assert matcher.feed(": next") == ""
    assert matcher.stopped


def test_stop_matcher_releases_a_false_alarm():
    matcher = StopMatcher(["\nQ:"])
    assert matcher.feed("a\n") == "a"
    assert matcher.feed("b") == "\nb"
    assert not matcher.stopped


def test_stream_yields_timestamped_tokens_and_the_whole_text():
    model = FakeTextModel(reply="Tell me about a time you shipped an eval harness.")
    completion = model.stream([ChatMessage("user", "ask me")])
    tokens = list(completion)
    assert "".join(t.text for t in tokens) == completion.text == "Tell me about a time you shipped an eval harness."
    assert all(b.t >= a.t for a, b in zip(tokens, tokens[1:]))
    assert completion.finish_reason == "eos"
    assert completion.stats.generated_tokens == len(tokens)
    assert completion.stats.time_to_first_token is not None


def test_max_tokens():
    completion = FakeTextModel(reply="one two three four five").stream("x", max_tokens=3)
    assert completion.collect() == "one two three"
    assert completion.finish_reason == "length"


def test_stop_sequence_spanning_tokens_is_cut_and_not_shown():
    completion = FakeTextModel(reply="First question? END of it").stream("x", stop=["END"])
    assert completion.collect() == "First question? "
    assert completion.finish_reason == "stop"


def test_partial_stop_at_end_of_stream_is_released():
    completion = FakeTextModel(reply="ends with EN").stream("x", stop=["END"])
    assert completion.collect() == "ends with EN"


def test_cancel_from_another_thread_takes_effect_within_one_token():
    model = FakeTextModel(reply=" ".join(["word"] * 500), token_delay_s=0.005)
    cancel = threading.Event()
    completion = model.stream("x", cancel=cancel)
    seen_at_cancel = []

    def canceller() -> None:
        time.sleep(0.05)
        seen_at_cancel.append(completion.stats.generated_tokens)
        cancel.set()

    thread = threading.Thread(target=canceller)
    thread.start()
    completion.collect()
    thread.join()
    assert completion.finish_reason == "cancelled"
    assert completion.stats.generated_tokens <= seen_at_cancel[0] + 1


def test_model_is_released_after_a_cancelled_or_abandoned_stream():
    model = FakeTextModel(reply="a b c d")
    first = model.stream("x")
    next(first)
    first.close()
    assert model.stream("y").collect() == "a b c d"


def test_prefix_reuse_is_reported():
    model = FakeTextModel(reply="ok")
    system = [ChatMessage("system", "You are a coach. JD: " + "evaluation " * 50)]
    first = model.stream(system + [ChatMessage("user", "Question one")])
    first.collect()
    second = model.stream(system + [ChatMessage("user", "Question two")])
    second.collect()
    assert first.stats.reused_tokens == 0
    assert second.stats.reused_tokens > 50


def test_same_prompt_and_seed_give_the_same_reply():
    model = FakeTextModel()
    assert model.stream("p", seed=1).collect() == model.stream("p", seed=1).collect()
    assert model.stream("p", seed=1).collect() != model.stream("p", seed=2).collect()

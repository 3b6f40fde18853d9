"""Answer sets for tests: every key of the vocabulary, all "no" unless changed."""

from patients.vocabulary import negative_answers as clear_answers

__all__ = ["clear_answers"]

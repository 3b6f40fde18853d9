"""Answer sets for tests: every key of the vocabulary, all "no" unless changed."""

from patients.vocabulary import QUESTIONS


def clear_answers(**changes) -> dict:
    answers = {}
    for key, question in QUESTIONS.items():
        if question.kind == "bool":
            answers[key] = False
        elif question.kind == "choice":
            answers[key] = question.choice_values[0]
        else:
            answers[key] = None
    answers.update(changes)
    return answers

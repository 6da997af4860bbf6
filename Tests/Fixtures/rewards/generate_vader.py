#!/usr/bin/env python3
"""Reference VADER scores for Tests/RewardsTests (run once by hand; output committed).

Writes vader_reference.json: for each sentence, VADER's words (SentiText.words_and_emoticons),
the per-word valences after every rule (the `sentiments` list that polarity_scores hands to
score_valence, i.e. after the "but" rule), and the unrounded compound/pos/neg/neu, plus the
rounded polarity_scores dict for reference.

Reference: vaderSentiment 3.3.2 (Hutto & Gilbert, ICWSM 2014), MIT. Python is used only here, to
make the fixture; the Swift port never runs Python.

    python3 -m venv /tmp/venv
    /tmp/venv/bin/pip install --no-deps vadersentiment==3.3.2
    /tmp/venv/bin/python Tests/Fixtures/rewards/generate_vader.py
"""
import json
import math
import os
from importlib.metadata import version

from vaderSentiment import vaderSentiment as vs

SENTENCES = [
    # The package's own examples (emoticon- and emoji-free ones).
    "VADER is smart, handsome, and funny.",
    "VADER is smart, handsome, and funny!",
    "VADER is very smart, handsome, and funny.",
    "VADER is VERY SMART, handsome, and FUNNY.",
    "VADER is VERY SMART, handsome, and FUNNY!!!",
    "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "The book was good.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today SUX!",
    "Today only kinda sux! But I'll get by, lol",
    "Not bad at all",
    "Sentiment analysis has never been good.",
    "Sentiment analysis has never been this good!",
    "Most automated sentiment analysis tools are shit.",
    "With VADER, sentiment analysis is the shit!",
    "Other sentiment analysis tools can be quite bad.",
    "On the other hand, VADER is quite bad ass",
    "VADER is such a badass!",
    "Without a doubt, excellent idea.",
    "Roger Dodger is one of the most compelling variations on this theme.",
    "Roger Dodger is at least compelling as a variation on the theme.",
    "Roger Dodger is one of the least compelling variations on this theme.",
    "Not such a badass after all.",
    "Without a doubt, an excellent idea.",
    # Negation and "no".
    "I don't love it and I do not hate it.",
    "There is no joy and no hope or love here.",
    "No problem, no worries.",
    "It was never so wonderful to be here.",
    "He is hardly happy and barely alive.",
    "She was sort of sad, kind of lonely.",
    "The ending was extremely, incredibly sad.",
    # "but", including equal valences before it (the released rule's list.index quirk).
    "Good food, good wine, but terrible service.",
    "It is good, it is good, but it is bad and bad.",
    "but it was great",
    "The room was small but ok and nice.",
    "She is kind and ok but dull.",
    # Caps, punctuation emphasis, question marks.
    "What a GREAT day?? Or a terrible one???",
    "Is this love????",
    "I HATE MONDAYS",
    "I HATE mondays!!!!!!",
    # Punctuation attached to words, apostrophes, multiple spaces, tabs, short words.
    "\"Wonderful!\" she said -- (truly) lovely...",
    "ok! it's fine,   really\tfine.",
    "Thou art a villain, and a most wicked one; yet I love thee.",
    "O happy dagger! This is thy sheath; there rust, and let me die.",
    "Sweet love, renew thy force; be it not said",
    "A café worth visiting: naïve but charming.",
    "the the the",
    "",
]


def analyse(analyzer, text):
    captured = {}
    original = analyzer.score_valence

    def spy(sentiments, text_arg):
        captured["sentiments"] = list(sentiments)
        captured["text"] = text_arg
        return original(sentiments, text_arg)

    analyzer.score_valence = spy
    try:
        rounded = analyzer.polarity_scores(text)
    finally:
        analyzer.score_valence = original
    sentiments = [float(s) for s in captured["sentiments"]]
    words = vs.SentiText(text).words_and_emoticons
    assert len(words) == len(sentiments), (text, words, sentiments)
    # Unrounded compound / proportions: score_valence without its final rounding.
    if sentiments:
        punct = analyzer._punctuation_emphasis(captured["text"])
        sum_s = float(sum(sentiments))
        if sum_s > 0:
            sum_s += punct
        elif sum_s < 0:
            sum_s -= punct
        compound = vs.normalize(sum_s)
        pos_sum, neg_sum, neu_count = analyzer._sift_sentiment_scores(sentiments)
        if pos_sum > math.fabs(neg_sum):
            pos_sum += punct
        elif pos_sum < math.fabs(neg_sum):
            neg_sum -= punct
        total = pos_sum + math.fabs(neg_sum) + neu_count
        pos, neg, neu = math.fabs(pos_sum / total), math.fabs(neg_sum / total), math.fabs(neu_count / total)
    else:
        compound = pos = neg = neu = 0.0
    assert round(compound, 4) == rounded["compound"], (text, compound, rounded)
    return {
        "text": text,
        "words": words,
        "valences": sentiments,
        "compound": compound,
        "pos": pos,
        "neg": neg,
        "neu": neu,
        "polarity_scores": rounded,
    }


def main():
    analyzer = vs.SentimentIntensityAnalyzer()
    cases = [analyse(analyzer, s) for s in SENTENCES]
    out = {
        "generator": "Tests/Fixtures/rewards/generate_vader.py",
        "reference": "vaderSentiment %s (Hutto & Gilbert, ICWSM 2014)" % version("vaderSentiment"),
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vader_reference.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote %d cases to %s" % (len(cases), path))


if __name__ == "__main__":
    main()

"""One valid item of each type, in the file format."""

import copy

SAMPLES = {
    "gap_select": {
        "code": "EN-GRA-0901", "skill": "grammar", "type": "gap_select", "level": "A1",
        "time_limit": 30, "status": "live", "irt": {"model": "2pl", "a": 1.2, "b": -2.0},
        "content": {"instruction": "Choose the right word.",
                    "text": "She {{1}} to work by bus.",
                    "gaps": {"1": {"options": ["go", "goes", "going"], "answer": "goes"}}},
    },
    "gap_text": {
        "code": "EN-VOC-0902", "skill": "vocabulary", "type": "gap_text", "level": "B2",
        "time_limit": 40, "status": "live", "irt": {"model": "gpcm", "a": 1.1, "b": [0.1, 0.6]},
        "content": {"instruction": "Write the right form of the word in capitals.",
                    "text": "The view was {{1}} and the staff {{2}}.",
                    "gaps": {"1": {"root": "BREATH", "answers": ["breathtaking"]},
                             "2": {"answers": ["friendly", "welcoming"]}}},
    },
    "word_bank": {
        "code": "EN-VOC-0903", "skill": "vocabulary", "type": "word_bank", "level": "A2",
        "time_limit": 45, "status": "live", "irt": {"model": "gpcm", "a": 1.0, "b": [-1.4, -1.0]},
        "content": {"instruction": "Put a word in each gap.",
                    "text": "I {{1}} my keys, so I {{2}} get in.",
                    "bank": ["lost", "couldn’t", "found", "wouldn't"],
                    "answers": {"1": "lost", "2": "couldn’t"}},
    },
    "word_order": {
        "code": "EN-GRA-0904", "skill": "grammar", "type": "word_order", "level": "A2",
        "time_limit": 45, "status": "live", "irt": {"model": "2pl", "a": 1.4, "b": -1.2},
        "content": {"instruction": "Put the words in order.", "first": "Where",
                    "words": ["did", "you", "go", "?"]},
    },
    "sentence_order": {
        "code": "EN-REA-0905", "skill": "reading", "type": "sentence_order", "level": "B1",
        "time_limit": 90, "status": "live",
        "irt": {"model": "gpcm", "a": 0.9, "b": [-0.7, -0.4, -0.1]},
        "content": {"instruction": "Put the sentences in order.", "first": "Dear Ms Lee,",
                    "sentences": ["Thank you for your email.", "The room is booked.",
                                  "Best regards,"]},
    },
    "multiple_choice": {
        "code": "EN-REA-0906", "skill": "reading", "type": "multiple_choice", "level": "C1",
        "time_limit": 90, "status": "live", "irt": {"model": "2pl", "a": 1.6, "b": 1.1},
        "content": {"passage": "Closed on Saturdays.", "question": "When is it closed?",
                    "options": ["Saturday", "Sunday", "Monday"], "answer": 0},
    },
    "listening": {
        "code": "EN-LIS-0907", "skill": "listening", "type": "listening", "level": "B1",
        "time_limit": 60, "status": "live", "irt": {"model": "2pl", "a": 1.3, "b": -0.3},
        "content": {"instruction": "Listen and answer.", "audio": "audio/EN-LIS-0907.ogg",
                    "transcript": "The train leaves at nine fifteen.", "voices": ["en-gb"],
                    "max_plays": 2,
                    "question": {"type": "gap_text", "text": "It leaves at {{1}}.",
                                 "gaps": {"1": {"answers": ["9.15", "9:15", "nine fifteen"]}}}},
    },
}


def sample(item_type, **changes):
    item = copy.deepcopy(SAMPLES[item_type])
    item.update(changes)
    return item

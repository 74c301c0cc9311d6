from rag.answer.cite import normalize_markers


def test_valid_markers_stay():
    assert normalize_markers("Kyiv rejected it [2]. Moscow insists [1][2].", 2) == \
        "Kyiv rejected it [2]. Moscow insists [1][2]."


def test_markers_pointing_to_nothing_are_removed():
    assert normalize_markers("A fact [3]. Another [1, 7]. Last [0]", 1) == "A fact. Another [1]. Last"


def test_marker_variants_are_normalised():
    assert normalize_markers("Yes [Source 2]; no [1 and 2], [2,2].", 2) == "Yes [2]; no [1][2]."
    # A list of markers is one group: its commas would be left behind when the markers move.
    assert normalize_markers("Kremlin foreign policy aide [1], [2], [3] and [4]", 4) == "Kremlin foreign policy aide [1][2][3][4]"

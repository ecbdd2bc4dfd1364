using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Tests.Messaging;

public sealed class SegmentCounterTests
{
    // Written out independently of the implementation (literal characters, GSM 03.38 order).
    private const string Gsm7Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string Gsm7Extension = "\f^{}\\[~]|€";

    private const string Emoji = "😀"; // U+1F600, a surrogate pair

    [Fact]
    public void Count_EmptyText_IsGsm7WithZeroSegmentsAndUnits()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 0, 0), SegmentCounter.Count(string.Empty));
    }

    [Fact]
    public void Count_NullText_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => SegmentCounter.Count(null!));
    }

    [Fact]
    public void Count_Gsm7At160_IsOneSegment()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 1, 160), SegmentCounter.Count(new string('a', 160)));
    }

    [Fact]
    public void Count_Gsm7At161_IsTwoSegments()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 2, 161), SegmentCounter.Count(new string('a', 161)));
    }

    [Fact]
    public void Count_Gsm7At306_IsTwoSegments()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 2, 306), SegmentCounter.Count(new string('a', 306)));
    }

    [Fact]
    public void Count_Gsm7At307_IsThreeSegments()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 3, 307), SegmentCounter.Count(new string('a', 307)));
    }

    [Fact]
    public void Count_EightyEuroSigns_Is160UnitsInOneSegment()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 1, 160), SegmentCounter.Count(new string('€', 80)));
    }

    [Fact]
    public void Count_EightyOneEuroSigns_Is162UnitsInTwoSegments()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 2, 162), SegmentCounter.Count(new string('€', 81)));
    }

    [Fact]
    public void Count_Gsm7ExtensionStraddlingSegmentBoundary_MovesWholeToNextSegment()
    {
        // Septets 153-154 would be escape + '€': the pair moves to segment 2, leaving
        // segment 1 with 152, segment 2 with 2 + 151 = 153, and 1 septet spilling into segment 3.
        string text = new string('a', 152) + "€" + new string('a', 152);

        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 3, 306), SegmentCounter.Count(text));
    }

    [Fact]
    public void Count_Gsm7ExtensionEndingExactlyAtSegmentBoundary_StaysInSegment()
    {
        // Same 306 septets, but escape + '€' occupy septets 152-153, so nothing is split.
        string text = new string('a', 151) + "€" + new string('a', 153);

        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 2, 306), SegmentCounter.Count(text));
    }

    [Fact]
    public void Count_AllExtensionCharacters_Pack76PerSegment()
    {
        // 153 '{' = 306 septets; only 76 pairs (152 septets) fit in a 153-septet segment.
        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 3, 306), SegmentCounter.Count(new string('{', 153)));
        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 2, 304), SegmentCounter.Count(new string('{', 152)));
    }

    [Fact]
    public void Count_Ucs2At70_IsOneSegment()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 1, 70), SegmentCounter.Count(new string('Ж', 70)));
    }

    [Fact]
    public void Count_Ucs2At71_IsTwoSegments()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 2, 71), SegmentCounter.Count(new string('Ж', 71)));
    }

    [Fact]
    public void Count_Ucs2At134_IsTwoSegments()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 2, 134), SegmentCounter.Count(new string('Ж', 134)));
    }

    [Fact]
    public void Count_Ucs2At135_IsThreeSegments()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 3, 135), SegmentCounter.Count(new string('Ж', 135)));
    }

    [Fact]
    public void Count_SingleEmoji_IsUcs2WithTwoUnits()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 1, 2), SegmentCounter.Count(Emoji));
    }

    [Fact]
    public void Count_ThirtyFiveEmoji_Is70UnitsInOneSegment()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 1, 70), SegmentCounter.Count(Repeat(Emoji, 35)));
    }

    [Fact]
    public void Count_SixtySevenEmoji_Pack33PerSegment()
    {
        // 134 code units would fill exactly two 67-unit segments, but pairs cannot be split,
        // so each segment holds 33 emoji (66 units): 33 + 33 + 1.
        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 3, 134), SegmentCounter.Count(Repeat(Emoji, 67)));
    }

    [Fact]
    public void Count_SurrogatePairStraddlingSegmentBoundary_MovesWholeToNextSegment()
    {
        // Units 67-68 would be the pair: it moves to segment 2, leaving segment 1 with 66,
        // segment 2 with 2 + 65 = 67, and 1 unit spilling into segment 3.
        string text = new string('Ж', 66) + Emoji + new string('Ж', 66);

        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 3, 134), SegmentCounter.Count(text));
    }

    [Fact]
    public void Count_SurrogatePairEndingExactlyAtSegmentBoundary_StaysInSegment()
    {
        string text = new string('Ж', 65) + Emoji + new string('Ж', 67);

        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 2, 134), SegmentCounter.Count(text));
    }

    [Fact]
    public void Count_LoneSurrogate_IsUcs2WithOneUnit()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 1, 1), SegmentCounter.Count("\uD83D"));
        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 3, 135), SegmentCounter.Count(new string('a', 66) + "\uD83D" + new string('a', 68)));
    }

    [Fact]
    public void Count_SingleNonGsmCharacter_SwitchesWholeTextToUcs2()
    {
        string text = new string('a', 159) + "Ж";

        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 3, 160), SegmentCounter.Count(text));
    }

    [Fact]
    public void Count_NonGsmCharacterWithExtensionCharacters_CountsEveryCharacterAsOneUnit()
    {
        Assert.Equal(new SegmentInfo(TextEncoding.Ucs2, 1, 3), SegmentCounter.Count("€ç{"));
    }

    [Theory]
    [InlineData("Hello", TextEncoding.Gsm7, 1, 5)]
    [InlineData("Hello {name}", TextEncoding.Gsm7, 1, 14)]
    [InlineData("Price: 5€", TextEncoding.Gsm7, 1, 10)]
    [InlineData("a\fb", TextEncoding.Gsm7, 1, 4)]
    [InlineData("Line1\r\nLine2", TextEncoding.Gsm7, 1, 12)]
    [InlineData("Ça coûte 5 €", TextEncoding.Ucs2, 1, 12)]
    [InlineData("Grüße aus Köln", TextEncoding.Gsm7, 1, 14)]
    [InlineData("Привет", TextEncoding.Ucs2, 1, 6)]
    [InlineData("a`b", TextEncoding.Ucs2, 1, 3)]
    [InlineData("tab\there", TextEncoding.Ucs2, 1, 8)]
    [InlineData("ç", TextEncoding.Ucs2, 1, 1)]
    [InlineData("\u2126", TextEncoding.Ucs2, 1, 1)] // ohm sign, not Greek Ω
    [InlineData("\u03A9", TextEncoding.Gsm7, 1, 1)] // Greek capital omega
    [InlineData("Hi 👋", TextEncoding.Ucs2, 1, 5)]
    public void Count_Examples_ReturnExpectedEncodingSegmentsAndUnits(string text, TextEncoding encoding, int segments, int units)
    {
        Assert.Equal(new SegmentInfo(encoding, segments, units), SegmentCounter.Count(text));
    }

    [Fact]
    public void Count_WholeBasicTable_IsGsm7OneUnitEach()
    {
        Assert.Equal(127, Gsm7Basic.Length);
        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 1, 127), SegmentCounter.Count(Gsm7Basic));
    }

    [Fact]
    public void Count_WholeExtensionTable_IsGsm7TwoUnitsEach()
    {
        Assert.Equal(10, Gsm7Extension.Length);
        Assert.Equal(new SegmentInfo(TextEncoding.Gsm7, 1, 20), SegmentCounter.Count(Gsm7Extension));
    }

    [Fact]
    public void Count_EveryBmpCharacter_IsGsm7ExactlyWhenInGsmTables()
    {
        for (int c = char.MinValue; c <= char.MaxValue; c++)
        {
            char ch = (char)c;
            SegmentInfo expected = Gsm7Basic.Contains(ch)
                ? new SegmentInfo(TextEncoding.Gsm7, 1, 1)
                : Gsm7Extension.Contains(ch)
                    ? new SegmentInfo(TextEncoding.Gsm7, 1, 2)
                    : new SegmentInfo(TextEncoding.Ucs2, 1, 1);

            Assert.True(expected == SegmentCounter.Count(ch.ToString()), $"U+{c:X4}");
        }
    }

    private static string Repeat(string value, int count) => string.Concat(Enumerable.Repeat(value, count));
}

using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Tests.Messaging;

public sealed class SmsSplitterTests
{
    private const string Emoji = "😀";

    [Fact]
    public void Split_EmptyText_IsOneEmptyGsmPart()
    {
        SmsParts parts = SmsSplitter.Split(string.Empty);

        Assert.Equal(TextEncoding.Gsm7, parts.Encoding);
        Assert.Equal([string.Empty], parts.Parts);
    }

    [Fact]
    public void Split_Gsm7At160_IsOnePart()
    {
        string text = new('a', 160);

        Assert.Equal([text], SmsSplitter.Split(text).Parts);
    }

    [Fact]
    public void Split_Gsm7At161_Is153Then8()
    {
        SmsParts parts = SmsSplitter.Split(new string('a', 161));

        Assert.Equal([153, 8], parts.Parts.Select(p => p.Length));
    }

    [Fact]
    public void Split_ExtensionStraddlingBoundary_MovesWholeToNextPart()
    {
        string text = new string('a', 152) + "€" + new string('a', 152);

        SmsParts parts = SmsSplitter.Split(text);

        Assert.Equal([new string('a', 152), "€" + new string('a', 151), "a"], parts.Parts);
    }

    [Fact]
    public void Split_SurrogatePairStraddlingBoundary_MovesWholeToNextPart()
    {
        string text = new string('Ж', 66) + Emoji + new string('Ж', 66);

        SmsParts parts = SmsSplitter.Split(text);

        Assert.Equal(TextEncoding.Ucs2, parts.Encoding);
        Assert.Equal([new string('Ж', 66), Emoji + new string('Ж', 65), "Ж"], parts.Parts);
    }

    [Fact]
    public void Split_Ucs2At70_IsOnePart()
    {
        string text = new('Ж', 70);

        Assert.Equal([text], SmsSplitter.Split(text).Parts);
    }

    [Fact]
    public void Split_NullText_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => SmsSplitter.Split(null!));
    }

    [Fact]
    public void Split_GeneratedTexts_AgreeWithSegmentCounterAndFitTheirSegments()
    {
        var random = new Random(3_4);
        for (int run = 0; run < 3000; run++)
        {
            string text = RandomText(random, random.Next(0, 1001));

            SmsParts split = SmsSplitter.Split(text);
            SegmentInfo counted = SegmentCounter.Count(text);

            Assert.Equal(Math.Max(1, counted.Segments), split.Parts.Count);
            Assert.Equal(counted.Encoding, split.Encoding);
            Assert.Equal(text, string.Concat(split.Parts));
            int capacity = (split.Encoding, split.Parts.Count) switch
            {
                (TextEncoding.Gsm7, 1) => 160,
                (TextEncoding.Gsm7, _) => 153,
                (_, 1) => 70,
                _ => 67,
            };
            foreach (string part in split.Parts)
            {
                int units = split.Encoding == TextEncoding.Gsm7 ? Gsm7.EncodeUnpacked(part).Length : part.Length;
                Assert.True(units <= capacity, $"run {run}: a part of {units} units exceeds {capacity}");
            }

            for (int i = 1; i < split.Parts.Count; i++)
            {
                bool pairSplit = split.Parts[i - 1] is [.., char last] && char.IsHighSurrogate(last)
                    && split.Parts[i] is [char first, ..] && char.IsLowSurrogate(first);
                Assert.False(pairSplit, $"run {run}: a surrogate pair was split between parts {i} and {i + 1}");
            }
        }
    }

    private static string RandomText(Random random, int length)
    {
        // Mostly GSM texts (some with extension characters), a share with one non-GSM character or
        // emoji, and a few with a lone surrogate, so both encodings and every boundary case turn up.
        int flavour = random.Next(10);
        var chars = new System.Text.StringBuilder(length + 2);
        while (chars.Length < length)
        {
            int pick = random.Next(100);
            if (pick < 70)
            {
                chars.Append((char)random.Next('a', 'z' + 1));
            }
            else if (pick < 85)
            {
                chars.Append("{}[]~^|\\€\f"[random.Next(10)]);
            }
            else if (pick < 90 && flavour >= 5)
            {
                chars.Append("ЖçΩ"[random.Next(3)]);
            }
            else if (pick < 97 && flavour >= 6)
            {
                chars.Append(Emoji);
            }
            else if (flavour == 9)
            {
                chars.Append('\uD83D');
            }
            else
            {
                chars.Append("@£ÄΔ"[random.Next(4)]);
            }
        }

        return chars.ToString();
    }
}

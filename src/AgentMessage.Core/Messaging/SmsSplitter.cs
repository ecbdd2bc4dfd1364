namespace AgentMessage.Core.Messaging;

/// <summary>An SMS body cut into the parts it is sent in.</summary>
/// <param name="Encoding">The encoding every part is sent in.</param>
/// <param name="Parts">The parts in order; concatenated they give the text back.</param>
public sealed record SmsParts(TextEncoding Encoding, IReadOnlyList<string> Parts);

/// <summary>
/// Cuts an SMS body into parts by the same rules <see cref="SegmentCounter"/> counts with, so a
/// message is sent in exactly the number of segments it was counted (and charged) as.
/// </summary>
public static class SmsSplitter
{
    /// <summary>
    /// Cuts <paramref name="text"/>: one part when it fits a single segment (160 septets, or 70 UCS-2
    /// units), else parts of at most 153 septets or 67 units (room for the concatenation header), an
    /// extension character's escape pair or a surrogate pair always kept in one part. Empty text is
    /// one empty part: a carrier still takes one message for it.
    /// </summary>
    public static SmsParts Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        if (text.Length == 0)
        {
            return new SmsParts(TextEncoding.Gsm7, [string.Empty]);
        }

        return Gsm7.IsEncodable(text) ? SplitGsm7(text) : SplitUcs2(text);
    }

    private static SmsParts SplitGsm7(string text)
    {
        int septets = text.Length;
        int extensions = 0;
        for (ReadOnlySpan<char> rest = text; ;)
        {
            int next = rest.IndexOfAny(Gsm7.ExtensionTableChars);
            if (next < 0)
            {
                break;
            }

            extensions++;
            rest = rest[(next + 1)..];
        }

        septets += extensions;
        if (septets <= SegmentCounter.Gsm7SingleCapacity)
        {
            return new SmsParts(TextEncoding.Gsm7, [text]);
        }

        var parts = new List<string>(((septets - 1) / SegmentCounter.Gsm7MultiCapacity) + 2);
        int start = 0;
        int used = 0;
        for (int i = 0; i < text.Length; i++)
        {
            int units = Gsm7.IsExtension(text[i]) ? 2 : 1;
            if (used + units > SegmentCounter.Gsm7MultiCapacity)
            {
                parts.Add(text[start..i]);
                start = i;
                used = 0;
            }

            used += units;
        }

        parts.Add(text[start..]);
        return new SmsParts(TextEncoding.Gsm7, parts);
    }

    private static SmsParts SplitUcs2(string text)
    {
        if (text.Length <= SegmentCounter.Ucs2SingleCapacity)
        {
            return new SmsParts(TextEncoding.Ucs2, [text]);
        }

        var parts = new List<string>(((text.Length - 1) / SegmentCounter.Ucs2MultiCapacity) + 2);
        int start = 0;
        int used = 0;
        for (int i = 0; i < text.Length;)
        {
            // A lone surrogate is malformed but one code unit, like any other: nothing to keep together.
            int units = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            if (used + units > SegmentCounter.Ucs2MultiCapacity)
            {
                parts.Add(text[start..i]);
                start = i;
                used = 0;
            }

            used += units;
            i += units;
        }

        parts.Add(text[start..]);
        return new SmsParts(TextEncoding.Ucs2, parts);
    }
}

using System.Buffers;

namespace AgentMessage.Core.Messaging;

/// <summary>The encoding an SMS body is sent in.</summary>
public enum TextEncoding
{
    /// <summary>GSM 03.38 7-bit default alphabet (basic table plus extension table).</summary>
    Gsm7,

    /// <summary>UCS-2 (UTF-16 code units), used when any character is outside GSM-7.</summary>
    Ucs2,
}

/// <summary>The result of counting an SMS body.</summary>
/// <param name="Encoding">The encoding the body is sent in.</param>
/// <param name="Segments">How many SMS segments the body occupies (0 for empty text).</param>
/// <param name="Units">
/// Septets for GSM-7 (extension-table characters count 2: escape + character);
/// UTF-16 code units for UCS-2 (a surrogate pair counts 2).
/// </param>
public readonly record struct SegmentInfo(TextEncoding Encoding, int Segments, int Units);

/// <summary>Works out the encoding and segment count of an SMS body.</summary>
public static class SegmentCounter
{
    internal const int Gsm7SingleCapacity = 160;
    internal const int Gsm7MultiCapacity = 153;
    internal const int Ucs2SingleCapacity = 70;
    internal const int Ucs2MultiCapacity = 67;

    // Not IndexOfAnyInRange: that allocates on every call until the JIT tiers the caller up.
    private static readonly SearchValues<char> HighSurrogates = SearchValues.Create(CharRange('\uD800', '\uDBFF'));

    /// <summary>Counts the encoding, segments and units of <paramref name="text"/>.</summary>
    /// <param name="text">The message body.</param>
    /// <returns>The encoding, segment count and unit count.</returns>
    public static SegmentInfo Count(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        ReadOnlySpan<char> span = text;
        if (span.IsEmpty)
        {
            return new SegmentInfo(TextEncoding.Gsm7, 0, 0);
        }

        return Gsm7.IsEncodable(span) ? CountGsm7(span) : CountUcs2(span);
    }

    private static SegmentInfo CountGsm7(ReadOnlySpan<char> text)
    {
        // One pass packs into 153-septet segments while totalling the septets; the packing
        // only matters when the total overflows a single 160-septet segment.
        var packer = new Packer(Gsm7MultiCapacity);
        while (true)
        {
            int next = text.IndexOfAny(Gsm7.ExtensionTableChars);
            if (next < 0)
            {
                packer.AddSingles(text.Length);
                break;
            }

            packer.AddSingles(next);
            packer.AddPair();
            text = text[(next + 1)..];
        }

        int segments = packer.Units <= Gsm7SingleCapacity ? 1 : packer.Segments;
        return new SegmentInfo(TextEncoding.Gsm7, segments, packer.Units);
    }

    private static SegmentInfo CountUcs2(ReadOnlySpan<char> text)
    {
        if (text.Length <= Ucs2SingleCapacity)
        {
            return new SegmentInfo(TextEncoding.Ucs2, 1, text.Length);
        }

        var packer = new Packer(Ucs2MultiCapacity);
        while (true)
        {
            int next = text.IndexOfAny(HighSurrogates);
            if (next < 0)
            {
                packer.AddSingles(text.Length);
                break;
            }

            packer.AddSingles(next);
            if (next + 1 < text.Length && char.IsLowSurrogate(text[next + 1]))
            {
                packer.AddPair();
                text = text[(next + 2)..];
            }
            else
            {
                // A lone high surrogate is malformed but still one code unit; nothing to keep together.
                packer.AddSingles(1);
                text = text[(next + 1)..];
            }
        }

        return new SegmentInfo(TextEncoding.Ucs2, packer.Segments, packer.Units);
    }

    private static string CharRange(char first, char last) =>
        string.Create(last - first + 1, first, static (chars, start) =>
        {
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)(start + i);
            }
        });

    /// <summary>
    /// Fills segments of a fixed capacity in order, moving a two-unit item (GSM-7 escape +
    /// character, or a UTF-16 surrogate pair) whole into the next segment rather than splitting it.
    /// </summary>
    private struct Packer(int capacity)
    {
        private int _used;

        public int Segments { get; private set; } = 1;

        public int Units { get; private set; }

        public void AddSingles(int count)
        {
            Units += count;
            _used += count;
            if (_used > capacity)
            {
                Segments += (_used - 1) / capacity;
                _used = ((_used - 1) % capacity) + 1;
            }
        }

        public void AddPair()
        {
            Units += 2;
            if (_used + 2 > capacity)
            {
                Segments++;
                _used = 0;
            }

            _used += 2;
        }
    }
}

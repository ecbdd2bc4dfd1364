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
    private const int Gsm7SingleCapacity = 160;
    private const int Gsm7MultiCapacity = 153;
    private const int Ucs2SingleCapacity = 70;
    private const int Ucs2MultiCapacity = 67;

    // GSM 03.38 basic table in code-point order, 0x00-0x7F, with 0x1B (escape to the
    // extension table) left out. Non-ASCII characters are escaped so look-alikes cannot
    // slip in (e.g. Greek capital omega U+03A9, not the ohm sign U+2126).
    private const string BasicChars =
        "@\u00A3$\u00A5\u00E8\u00E9\u00F9\u00EC\u00F2\u00C7\n\u00D8\u00F8\r\u00C5\u00E5" + // @ £ $ ¥ è é ù ì ò Ç LF Ø ø CR Å å
        "\u0394_\u03A6\u0393\u039B\u03A9\u03A0\u03A8\u03A3\u0398\u039E\u00C6\u00E6\u00DF\u00C9" + // Δ _ Φ Γ Λ Ω Π Ψ Σ Θ Ξ (ESC) Æ æ ß É
        " !\"#\u00A4%&'()*+,-./" + // space ! " # ¤ % & ' ( ) * + , - . /
        "0123456789:;<=>?" +
        "\u00A1ABCDEFGHIJKLMNO" + // ¡ A-O
        "PQRSTUVWXYZ\u00C4\u00D6\u00D1\u00DC\u00A7" + // P-Z Ä Ö Ñ Ü §
        "\u00BFabcdefghijklmno" + // ¿ a-o
        "pqrstuvwxyz\u00E4\u00F6\u00F1\u00FC\u00E0"; // p-z ä ö ñ ü à

    // GSM 03.38 extension table: each is sent as escape + character, i.e. two septets.
    private const string ExtensionChars = "\f^{}\\[~]|\u20AC"; // FF ^ { } \ [ ~ ] | €

    // Built once; SearchValues gives vectorised, allocation-free scans on every call.
    private static readonly SearchValues<char> Gsm7Chars = SearchValues.Create(BasicChars + ExtensionChars);
    private static readonly SearchValues<char> Gsm7ExtensionChars = SearchValues.Create(ExtensionChars);

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

        return span.ContainsAnyExcept(Gsm7Chars) ? CountUcs2(span) : CountGsm7(span);
    }

    private static SegmentInfo CountGsm7(ReadOnlySpan<char> text)
    {
        // One pass packs into 153-septet segments while totalling the septets; the packing
        // only matters when the total overflows a single 160-septet segment.
        var packer = new Packer(Gsm7MultiCapacity);
        while (true)
        {
            int next = text.IndexOfAny(Gsm7ExtensionChars);
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

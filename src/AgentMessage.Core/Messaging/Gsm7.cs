using System.Buffers;

namespace AgentMessage.Core.Messaging;

/// <summary>
/// The GSM 03.38 7-bit default alphabet: its basic and extension tables, and text to and from
/// unpacked septets (one septet value per byte, as SMPP carries data_coding 0).
/// </summary>
public static class Gsm7
{
    /// <summary>The septet that escapes to the extension table (also the extension table's own
    /// escape to a further table, which 03.38 leaves undefined).</summary>
    public const byte Escape = 0x1B;

    // The basic table in code order, 0x00-0x7F. 0x1B is the escape and has no character; the space
    // in that slot is what 03.38 asks a receiver to show for an escape it cannot follow. Non-ASCII
    // characters are escaped so look-alikes cannot slip in (e.g. Greek capital omega U+03A9, not the
    // ohm sign U+2126).
    private const string BasicTable =
        "@\u00A3$\u00A5\u00E8\u00E9\u00F9\u00EC\u00F2\u00C7\n\u00D8\u00F8\r\u00C5\u00E5" + // @ £ $ ¥ è é ù ì ò Ç LF Ø ø CR Å å
        "\u0394_\u03A6\u0393\u039B\u03A9\u03A0\u03A8\u03A3\u0398\u039E \u00C6\u00E6\u00DF\u00C9" + // Δ _ Φ Γ Λ Ω Π Ψ Σ Θ Ξ (ESC) Æ æ ß É
        " !\"#\u00A4%&'()*+,-./" + // space ! " # ¤ % & ' ( ) * + , - . /
        "0123456789:;<=>?" +
        "\u00A1ABCDEFGHIJKLMNO" + // ¡ A-O
        "PQRSTUVWXYZ\u00C4\u00D6\u00D1\u00DC\u00A7" + // P-Z Ä Ö Ñ Ü §
        "\u00BFabcdefghijklmno" + // ¿ a-o
        "pqrstuvwxyz\u00E4\u00F6\u00F1\u00FC\u00E0"; // p-z ä ö ñ ü à

    // The basic table's characters without the escape slot: what a text may contain.
    private static readonly string BasicChars = BasicTable.Remove(Escape, 1);

    // The extension table: each character with the code that follows the escape.
    private const string ExtensionChars = "\f^{}\\[~]|\u20AC"; // FF ^ { } \ [ ~ ] | €
    private static ReadOnlySpan<byte> ExtensionCodes => [0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65];

    // Built once; SearchValues gives vectorised, allocation-free scans on every call.
    internal static readonly SearchValues<char> Chars = SearchValues.Create(BasicChars + ExtensionChars);
    internal static readonly SearchValues<char> ExtensionTableChars = SearchValues.Create(ExtensionChars);

    // Character to septet for every character below U+0400 (the Greek capitals are the highest
    // basic-table characters there): the code, ExtensionFlag | code for the extension table, or
    // NotGsm. The euro sign, far above, is checked on its own.
    private const short NotGsm = -1;
    private const short ExtensionFlag = 0x100;
    private const char EuroSign = '\u20AC';
    private const byte EuroCode = 0x65;
    private static readonly short[] CharToSeptet = BuildCharToSeptet();

    /// <summary>True when every character of <paramref name="text"/> is in the basic or extension table.</summary>
    public static bool IsEncodable(ReadOnlySpan<char> text) => !text.ContainsAnyExcept(Chars);

    /// <summary>True when <paramref name="c"/> is in the extension table (sent as escape + code).</summary>
    public static bool IsExtension(char c) => ExtensionChars.Contains(c);

    /// <summary>
    /// Encodes <paramref name="text"/> as unpacked septets: one byte per basic-table character, and
    /// <see cref="Escape"/> followed by the code for an extension-table character.
    /// </summary>
    /// <exception cref="ArgumentException">A character is not in the GSM 03.38 tables.</exception>
    public static byte[] EncodeUnpacked(ReadOnlySpan<char> text)
    {
        int length = text.Length;
        foreach (char c in text)
        {
            short septet = Lookup(c);
            if (septet == NotGsm)
            {
                throw new ArgumentException($"U+{(int)c:X4} is not in the GSM 03.38 alphabet.", nameof(text));
            }

            if (septet >= ExtensionFlag)
            {
                length++;
            }
        }

        byte[] septets = new byte[length];
        int at = 0;
        foreach (char c in text)
        {
            short septet = Lookup(c);
            if (septet >= ExtensionFlag)
            {
                septets[at++] = Escape;
            }

            septets[at++] = (byte)septet;
        }

        return septets;
    }

    /// <summary>
    /// Decodes unpacked septets. Bytes of 0x80 and above are read by their low 7 bits (some SMSCs set
    /// the top bit). An escape followed by a code the extension table does not define decodes, as
    /// 03.38 asks, as the basic-table character of that code; an escape followed by another escape
    /// (a further table that 03.38 does not define), or at the very end, decodes as a space.
    /// </summary>
    public static string DecodeUnpacked(ReadOnlySpan<byte> septets)
    {
        if (septets.IsEmpty)
        {
            return string.Empty;
        }

        // Never more characters than septets (an escape pair makes one).
        char[]? rented = null;
        Span<char> chars = septets.Length <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(septets.Length));
        int at = 0;
        for (int i = 0; i < septets.Length; i++)
        {
            int septet = septets[i] & 0x7F;
            if (septet != Escape)
            {
                chars[at++] = BasicTable[septet];
            }
            else if (i + 1 == septets.Length)
            {
                chars[at++] = ' ';
            }
            else
            {
                // Unknown codes, the escape among them, fall back to the basic table (its escape slot is a space).
                int code = septets[++i] & 0x7F;
                int extension = ExtensionCodes.IndexOf((byte)code);
                chars[at++] = extension >= 0 ? ExtensionChars[extension] : BasicTable[code];
            }
        }

        string text = new(chars[..at]);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return text;
    }

    private static short Lookup(char c) =>
        c < CharToSeptet.Length ? CharToSeptet[c] : c == EuroSign ? (short)(ExtensionFlag | EuroCode) : NotGsm;

    private static short[] BuildCharToSeptet()
    {
        short[] table = new short[0x400];
        table.AsSpan().Fill(NotGsm);
        for (int code = 0; code < BasicTable.Length; code++)
        {
            if (code != Escape)
            {
                table[BasicTable[code]] = (short)code;
            }
        }

        for (int i = 0; i < ExtensionChars.Length; i++)
        {
            char c = ExtensionChars[i];
            if (c < table.Length)
            {
                table[c] = (short)(ExtensionFlag | ExtensionCodes[i]);
            }
        }

        return table;
    }
}

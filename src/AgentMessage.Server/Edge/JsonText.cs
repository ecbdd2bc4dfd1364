namespace AgentMessage.Server.Edge;

/// <summary>
/// What <see cref="System.Text.Json.Utf8JsonReader"/> leaves unchecked until a string is read: ill-formed
/// UTF-8 and escapes of half a surrogate pair. Either would be read with replacement characters or
/// throw from deep inside a parser, so every JSON body is checked here first and refused as a
/// client's mistake.
/// </summary>
public static class JsonText
{
    /// <summary>
    /// Whether a string in <paramref name="json"/> holds a <c>\uD800</c>-<c>\uDFFF</c> escape that
    /// is not half of a high-then-low pair (<c>"\ud83d\ude00"</c> is a pair; <c>"\ud800"</c>,
    /// <c>"\udc00\ud800"</c> are not). Such a string has no Unicode text (RFC 8259 section 8.2).
    /// A backslash only ever starts an escape, inside a string, in valid JSON; what is not valid
    /// JSON the parser refuses anyway.
    /// </summary>
    public static bool HasUnpairedSurrogateEscape(ReadOnlySpan<byte> json)
    {
        var at = json.IndexOf((byte)'\\');
        while (at >= 0 && at + 1 < json.Length)
        {
            if (json[at + 1] != 'u')
            {
                // Any other escape is two bytes long: "\\u" is a backslash, then a letter.
                at = Next(json, at + 2);
                continue;
            }

            if (EscapedUnit(json, at) is not { } unit)
            {
                at = Next(json, at + 2);
                continue;
            }

            if (char.IsLowSurrogate(unit))
            {
                return true;
            }

            if (char.IsHighSurrogate(unit))
            {
                if (EscapedUnit(json, at + 6) is not { } low || !char.IsLowSurrogate(low))
                {
                    return true;
                }

                at = Next(json, at + 12);
                continue;
            }

            at = Next(json, at + 6);
        }

        return false;
    }

    /// <summary>The UTF-16 unit of the <c>\uXXXX</c> escape at <paramref name="at"/>, if there is one.</summary>
    private static char? EscapedUnit(ReadOnlySpan<byte> json, int at)
    {
        if (at + 6 > json.Length || json[at] != '\\' || json[at + 1] != 'u')
        {
            return null;
        }

        var unit = 0;
        foreach (var digit in json.Slice(at + 2, 4))
        {
            var value = digit switch
            {
                >= (byte)'0' and <= (byte)'9' => digit - '0',
                >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => digit - 'A' + 10,
                _ => -1,
            };
            if (value < 0)
            {
                return null;
            }

            unit = (unit << 4) | value;
        }

        return (char)unit;
    }

    private static int Next(ReadOnlySpan<byte> json, int from) =>
        from >= json.Length ? -1 : json[from..].IndexOf((byte)'\\') is var next and >= 0 ? from + next : -1;
}

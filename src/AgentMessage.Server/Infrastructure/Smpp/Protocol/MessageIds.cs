using System.Globalization;

namespace AgentMessage.Server.Infrastructure.Smpp.Protocol;

/// <summary>
/// SMSC message ids made comparable. The id in submit_sm_resp and the one a receipt names are often
/// not the same string: case and leading zeros differ, and some SMSCs give a hex id in one and its
/// decimal value in the other. The receipt matcher tries <see cref="Normalize"/> of the receipt's id,
/// then <see cref="Normalize"/> of <see cref="DecimalAsHex"/>.
/// </summary>
public static class MessageIds
{
    /// <summary>Trimmed, lower-case, without leading zeros ("0" for an id of zeros only).</summary>
    public static string Normalize(string id)
    {
        ArgumentNullException.ThrowIfNull(id);

        ReadOnlySpan<char> trimmed = id.AsSpan().Trim();
        if (trimmed.IsEmpty)
        {
            return "";
        }

        ReadOnlySpan<char> significant = trimmed.TrimStart('0');
        return significant.IsEmpty ? "0" : significant.ToString().ToLowerInvariant();
    }

    /// <summary>
    /// When <paramref name="id"/> (trimmed) is all decimal digits and its value fits in 128 bits: that
    /// value in lower-case hex without leading zeros ("662316" gives "a1b2c"); otherwise null.
    /// </summary>
    public static string? DecimalAsHex(string id)
    {
        ArgumentNullException.ThrowIfNull(id);

        // NumberStyles.None takes ASCII digits only: no sign, space, separator or other scripts' digits.
        return UInt128.TryParse(id.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out UInt128 value)
            ? value.ToString("x", CultureInfo.InvariantCulture)
            : null;
    }
}

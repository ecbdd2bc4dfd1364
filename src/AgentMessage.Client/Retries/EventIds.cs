using System.Globalization;

namespace AgentMessage.Client.Retries;

/// <summary>Orders event ids (<c>&lt;milliseconds&gt;-&lt;sequence&gt;</c>): by milliseconds, then sequence.</summary>
internal static class EventIds
{
    /// <summary>
    /// Whether <paramref name="candidate"/> comes after <paramref name="last"/>. An id that does not
    /// parse counts as after: an event is only ever dropped when it is provably a repeat.
    /// </summary>
    public static bool IsAfter(string candidate, string last)
    {
        if (!TryParse(candidate, out var candidateMs, out var candidateSeq) || !TryParse(last, out var lastMs, out var lastSeq))
        {
            return true;
        }

        return candidateMs != lastMs ? candidateMs > lastMs : candidateSeq > lastSeq;
    }

    private static bool TryParse(string id, out ulong milliseconds, out ulong sequence)
    {
        sequence = 0;
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        var timePart = dash < 0 ? id.AsSpan() : id.AsSpan(0, dash);
        return ulong.TryParse(timePart, NumberStyles.None, CultureInfo.InvariantCulture, out milliseconds)
            && (dash < 0 || ulong.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out sequence));
    }
}

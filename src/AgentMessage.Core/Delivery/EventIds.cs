using System.Globalization;

namespace AgentMessage.Core.Delivery;

/// <summary>Compares and parses event ids ("ms-seq").</summary>
public static class EventIds
{
    public static bool TryParse(string? id, out (long Ms, long Seq) parsed)
    {
        parsed = default;
        if (id is null)
        {
            return false;
        }

        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 &&
            long.TryParse(id.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out parsed.Ms) &&
            long.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out parsed.Seq);
    }

    /// <summary>Negative when a is older than b. Both must parse.</summary>
    public static int Compare(string a, string b)
    {
        TryParse(a, out var x);
        TryParse(b, out var y);
        return Compare(x, y);
    }

    /// <summary>Negative when a is older than b.</summary>
    public static int Compare((long Ms, long Seq) a, (long Ms, long Seq) b) =>
        a.Ms != b.Ms ? a.Ms.CompareTo(b.Ms) : a.Seq.CompareTo(b.Seq);
}

using System.Buffers;

namespace AgentMessage.Core.Messaging;

/// <summary>The shape rules of docs/API.md section 5, each returning the problem or null.</summary>
public static class SendRules
{
    public const int MaxTextLength = 1600;
    public const int MaxMediaItems = 10;
    public const int MaxTagLength = 64;
    public const int MaxUrlLength = 2048;

    /// <summary>How long a message may wait to be handed to the carrier, unless the send says
    /// otherwise (<c>validity_period_seconds</c>): the most it may say.</summary>
    public const int DefaultValidityPeriodSeconds = 14_400;

    /// <summary>How far ahead a <c>send_at</c> may be.</summary>
    public static readonly TimeSpan MaxScheduleAhead = TimeSpan.FromDays(7);

    private static readonly SearchValues<char> TagCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    /// <summary>The control characters (C0, DEL, C1) but tab, line feed and carriage return.</summary>
    private static readonly SearchValues<char> ForbiddenTextControls = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Select(c => (char)c).Where(c => c is not ('\t' or '\n' or '\r'))]);

    /// <summary>E.164 syntax only: '+', then 7 to 15 digits, the first not zero.</summary>
    public static bool IsE164(string? number) =>
        number is { Length: >= 8 and <= 16 } && number[0] == '+' && number[1] is >= '1' and <= '9' &&
        !number.AsSpan(1).ContainsAnyExceptInRange('0', '9');

    public static string? TagProblem(string tag) =>
        tag.Length is 0 or > MaxTagLength || tag.AsSpan().ContainsAnyExcept(TagCharacters)
            ? "must be 1..64 characters of A-Z a-z 0-9 . _ : -"
            : null;

    /// <summary>The text's problem: its length in Unicode scalar values (an emoji counts once), or
    /// a control character other than tab, line feed and carriage return. NUL and its kin have no
    /// place in a text message: carriers drop or mangle them, and they hide in logs and screens.</summary>
    public static string? TextProblem(string text, bool hasMedia)
    {
        if (text.Length == 0)
        {
            return hasMedia ? null : "must be 1..1600 characters";
        }

        var scalars = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            if (++scalars > MaxTextLength)
            {
                return "must be 1..1600 characters";
            }
        }

        return text.AsSpan().ContainsAny(ForbiddenTextControls)
            ? "must not contain control characters other than tab, line feed and carriage return"
            : null;
    }

    /// <summary>Whether a media entry is a URL hosted elsewhere (as opposed to a media_id).</summary>
    public static bool IsExternalUrl(string entry) =>
        entry.Length <= MaxUrlLength &&
        Uri.TryCreate(entry, UriKind.Absolute, out var uri) &&
        uri.Scheme == Uri.UriSchemeHttps && uri.Host.Length > 0 && string.IsNullOrEmpty(uri.UserInfo);

    /// <summary>A <c>send_at</c> must lie strictly after <paramref name="now"/> and at most
    /// <see cref="MaxScheduleAhead"/> after it.</summary>
    public static string? SendAtProblem(DateTimeOffset sendAt, DateTimeOffset now) =>
        sendAt <= now ? "must be in the future"
        : sendAt - now > MaxScheduleAhead ? "must be at most 7 days ahead"
        : null;

    public static string? ValidityPeriodProblem(int seconds) =>
        seconds is < 1 or > DefaultValidityPeriodSeconds ? $"must be 1..{DefaultValidityPeriodSeconds}" : null;

    public static bool IsMediaId(string entry) => Guid.TryParseExact(entry, "D", out _);
}

namespace AgentMessage.Core.Compliance;

/// <summary>What an inbound message's text asks for.</summary>
public enum KeywordAction
{
    /// <summary>Not a keyword: the message changes no consent.</summary>
    None,

    /// <summary>STOP and its synonyms: the sender opts out of the organization that owns the number.</summary>
    OptOut,

    /// <summary>START, UNSTOP: the sender opts back in after an opt-out.</summary>
    OptIn,

    /// <summary>HELP, INFO: the sender asks who is writing and how to stop; changes no consent.</summary>
    Help,
}

/// <summary>
/// The opt-out, opt-in and help keywords carriers require us to honour. A message is a keyword when its
/// whole text, trimmed of whitespace, equals one of them ignoring case: " stop ", "Stop" and
/// "STOPALL" are; "stop it" and "STOP." are not.
/// </summary>
public static class InboundKeywords
{
    public static readonly IReadOnlyList<string> OptOut = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];

    public static readonly IReadOnlyList<string> OptIn = ["START", "UNSTOP"];

    public static readonly IReadOnlyList<string> Help = ["HELP", "INFO"];

    /// <summary>The action and the keyword as listed (upper case), or (None, null).</summary>
    public static (KeywordAction Action, string? Keyword) Parse(string? text)
    {
        var word = (text ?? string.Empty).Trim();
        if (OptOut.FirstOrDefault(k => k.Equals(word, StringComparison.OrdinalIgnoreCase)) is { } stop)
        {
            return (KeywordAction.OptOut, stop);
        }

        if (OptIn.FirstOrDefault(k => k.Equals(word, StringComparison.OrdinalIgnoreCase)) is { } start)
        {
            return (KeywordAction.OptIn, start);
        }

        return Help.FirstOrDefault(k => k.Equals(word, StringComparison.OrdinalIgnoreCase)) is { } help
            ? (KeywordAction.Help, help)
            : (KeywordAction.None, null);
    }
}

using System.Text;
using System.Text.RegularExpressions;

namespace AgentMessage.Server.Infrastructure.Smpp.Protocol;

/// <summary>
/// The delivery receipt an SMSC writes into a deliver_sm's short_message (SMPP 3.4 Appendix B):
/// <c>id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...</c>.
/// The spec calls the format vendor-specific, so every field but the id may be missing.
/// </summary>
public sealed partial record DeliveryReceiptText(
    string Id,
    string? Sub,
    string? Dlvrd,
    string? SubmitDate,
    string? DoneDate,
    string? Stat,
    string? Err,
    string? Text)
{
    /// <summary>
    /// Reads a receipt text the way SMSCs actually write it: keys in any case and order, any of them
    /// missing, spaces around the colon, <c>submit_date</c>/<c>done_date</c> for the dates, ids of any
    /// length. A value is the first word after its key (a key with nothing after it reads as null);
    /// <c>text:</c> takes the rest of the message. False when there is no id.
    /// </summary>
    public static bool TryParse(string text, out DeliveryReceiptText receipt)
    {
        receipt = null!;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        string?[] values = new string?[FieldCount];
        MatchCollection keys = KeyPattern().Matches(text);
        for (int i = 0; i < keys.Count; i++)
        {
            Match key = keys[i];
            int field = FieldOf(key.Groups["key"].ValueSpan);
            int valueStart = key.Index + key.Length;
            if (field == TextField)
            {
                // The free text runs to the end, whatever looks like a key in it.
                values[TextField] ??= text[valueStart..].Trim();
                break;
            }

            int valueEnd = i + 1 < keys.Count ? keys[i + 1].Index : text.Length;
            values[field] ??= FirstWord(text.AsSpan(valueStart, valueEnd - valueStart));
        }

        if (values[IdField] is not { } id)
        {
            return false;
        }

        receipt = new DeliveryReceiptText(id, values[1], values[2], values[3], values[4], values[5], values[6], values[TextField]);
        return true;
    }

    /// <summary>The receipt in the spec's form, fields that are null left out.</summary>
    public string Format()
    {
        var text = new StringBuilder("id:").Append(Id);
        Append(text, "sub", Sub);
        Append(text, "dlvrd", Dlvrd);
        Append(text, "submit date", SubmitDate);
        Append(text, "done date", DoneDate);
        Append(text, "stat", Stat);
        Append(text, "err", Err);
        Append(text, "text", Text);
        return text.ToString();
    }

    private const int IdField = 0;
    private const int TextField = 7;
    private const int FieldCount = 8;

    // A key is a whole word (not the tail of "msgid") followed by a colon; the dates may be written
    // with spaces or underscores between their words, or none.
    [GeneratedRegex(@"(?<![\p{L}\p{N}_])(?<key>id|sub|dlvrd|submit[ _]*date|done[ _]*date|stat|err|text)[ \t]*:",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();

    private static int FieldOf(ReadOnlySpan<char> key) => char.ToLowerInvariant(key[0]) switch
    {
        'i' => IdField,
        's' when key.Length == 3 => 1, // sub
        's' when key.Length == 4 => 5, // stat
        's' => 3, // submit date
        'd' when char.ToLowerInvariant(key[1]) == 'l' => 2, // dlvrd
        'd' => 4, // done date
        'e' => 6, // err
        _ => TextField,
    };

    private static string? FirstWord(ReadOnlySpan<char> value)
    {
        value = value.TrimStart();
        int end = value.IndexOfAny(" \t\r\n");
        value = end < 0 ? value.TrimEnd() : value[..end];
        return value.IsEmpty ? null : value.ToString();
    }

    private static void Append(StringBuilder text, string key, string? value)
    {
        if (value is not null)
        {
            text.Append(' ').Append(key).Append(':').Append(value);
        }
    }
}

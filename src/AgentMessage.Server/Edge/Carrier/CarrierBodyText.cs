using System.Text;
using System.Text.Unicode;
using Microsoft.Net.Http.Headers;

namespace AgentMessage.Server.Edge.Carrier;

/// <summary>
/// A signed carrier body as UTF-8 JSON text (docs/API.md section 9). The body is UTF-8 unless its
/// <c>Content-Type</c> declares ISO-8859-1 (Latin-1), which some carriers still send and which is
/// then decoded; any other declared charset is refused. Bytes that are not UTF-8, and strings with
/// half a surrogate pair (<c>"\ud800"</c>), are refused rather than read with replacement
/// characters. The signature is checked on the bytes as they came, before this.
/// </summary>
public static class CarrierBodyText
{
    private static readonly string[] Latin1Names = ["iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1"];

    private static readonly string[] Utf8Names = ["utf-8", "utf8", "us-ascii"];

    /// <summary>The body as UTF-8 JSON text, or null with <paramref name="problem"/> saying why not (a 400).</summary>
    /// <param name="what">What the body is, for the problem: "receipt", "inbound".</param>
    public static byte[]? ToUtf8(byte[] body, string? contentType, string what, out string? problem)
    {
        problem = null;
        var charset = MediaTypeHeaderValue.TryParse(contentType, out var type) ? HeaderUtilities.RemoveQuotes(type.Charset).Value : null;
        if (!string.IsNullOrEmpty(charset) && Latin1Names.Contains(charset, StringComparer.OrdinalIgnoreCase))
        {
            // Every byte is a Latin-1 character, so this never fails.
            body = Encoding.UTF8.GetBytes(Encoding.Latin1.GetString(body));
        }
        else if (!string.IsNullOrEmpty(charset) && !Utf8Names.Contains(charset, StringComparer.OrdinalIgnoreCase))
        {
            problem = $"{what} body charset must be utf-8 or iso-8859-1";
            return null;
        }
        else if (!Utf8.IsValid(body))
        {
            problem = $"{what} body is not valid UTF-8 (declare charset=iso-8859-1 for Latin-1 text)";
            return null;
        }

        if (JsonText.HasUnpairedSurrogateEscape(body))
        {
            problem = $"{what} body is not valid JSON";
            return null;
        }

        return body;
    }
}

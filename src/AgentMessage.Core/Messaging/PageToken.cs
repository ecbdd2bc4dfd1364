using System.Buffers.Text;
using System.Text;
using AgentMessage.Core.Refusals;

namespace AgentMessage.Core.Messaging;

/// <summary>Opaque page tokens: a position, versioned and base64url-encoded so clients do not build them.</summary>
public static class PageToken
{
    private const string Version = "v1:";

    public static string Encode(long position) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(Version + position));

    public static long Decode(string token)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(token));
            if (text.StartsWith(Version, StringComparison.Ordinal) && long.TryParse(text.AsSpan(Version.Length), out var position) && position >= 0)
            {
                return position;
            }
        }
        catch (FormatException)
        {
        }

        throw RefusalException.Validation("page_token", "is not a token from a previous page");
    }
}

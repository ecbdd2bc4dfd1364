using System.Text;
using AgentMessage.Core.Messaging;

namespace AgentMessage.Server.Infrastructure.Smpp.Protocol;

/// <summary>A text encoded for short_message: the data_coding and the octets of each part (without
/// any user data header: a multipart message's parts get theirs from <see cref="Udh.WithConcat"/>).</summary>
public sealed record SmppEncoded(byte DataCoding, IReadOnlyList<byte[]> Parts);

/// <summary>SMS text to and from SMPP short_message octets by data_coding (section 5.2.19).</summary>
public static class SmppText
{
    /// <summary>The SMSC default alphabet, which SMSCs take as GSM 03.38, one septet per octet.</summary>
    public const byte DataCodingDefault = 0;

    /// <summary>IA5 (ASCII).</summary>
    public const byte DataCodingAscii = 1;

    /// <summary>ISO-8859-1.</summary>
    public const byte DataCodingLatin1 = 3;

    /// <summary>UCS-2, big-endian (read as UTF-16BE, so surrogate pairs survive).</summary>
    public const byte DataCodingUcs2 = 8;

    /// <summary>
    /// Encodes <paramref name="text"/> in the parts <see cref="SmsSplitter"/> cuts it into: GSM 03.38
    /// unpacked septets with data_coding 0 when every character is in the GSM tables, else UTF-16BE with
    /// data_coding 8 (a lone surrogate, which UTF-16 cannot carry, goes as U+FFFD).
    /// </summary>
    public static SmppEncoded Encode(string text)
    {
        SmsParts split = SmsSplitter.Split(text);
        var parts = new byte[split.Parts.Count][];
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = split.Encoding == TextEncoding.Gsm7
                ? Gsm7.EncodeUnpacked(split.Parts[i])
                : Encoding.BigEndianUnicode.GetBytes(split.Parts[i]);
        }

        return new SmppEncoded(split.Encoding == TextEncoding.Gsm7 ? DataCodingDefault : DataCodingUcs2, parts);
    }

    /// <summary>
    /// Decodes <paramref name="payload"/> (a short_message without its user data header, or a
    /// message_payload) by <paramref name="dataCoding"/>; null for a coding that is not text we read
    /// (binary 2 and 4, the Japanese, Cyrillic, Hebrew and Korean sets, reserved values). Never throws.
    /// </summary>
    /// <remarks>
    /// 0 and the GSM 03.38 groups that name the default alphabet (0xC0-0xDF message waiting, 0xF0-0xF3
    /// message class) read as unpacked GSM septets; 1 as ASCII with octets above 0x7F taken as Latin-1
    /// rather than lost; 3 and 0xF4-0xF7 (8-bit data with a message class, which SMSCs use for Latin
    /// text) as Latin-1; 8 and 0xE0-0xEF (message waiting, UCS-2) as UTF-16BE, an odd last octet
    /// dropped and a lone surrogate read as U+FFFD. 0xF8-0xFF have 03.38's reserved bit set and are
    /// read by the same bits as 0xF0-0xF7.
    /// </remarks>
    public static string? Decode(byte dataCoding, ReadOnlySpan<byte> payload) => dataCoding switch
    {
        DataCodingDefault => Gsm7.DecodeUnpacked(payload),
        DataCodingAscii or DataCodingLatin1 => Encoding.Latin1.GetString(payload),
        DataCodingUcs2 => DecodeUtf16BigEndian(payload),
        >= 0xC0 and <= 0xDF => Gsm7.DecodeUnpacked(payload),
        >= 0xE0 and <= 0xEF => DecodeUtf16BigEndian(payload),
        >= 0xF0 => (dataCoding & 0x04) == 0 ? Gsm7.DecodeUnpacked(payload) : Encoding.Latin1.GetString(payload),
        _ => null,
    };

    // The shared Encoding.BigEndianUnicode replaces malformed surrogates with U+FFFD rather than throwing.
    private static string DecodeUtf16BigEndian(ReadOnlySpan<byte> payload) =>
        Encoding.BigEndianUnicode.GetString(payload[..(payload.Length & ~1)]);
}

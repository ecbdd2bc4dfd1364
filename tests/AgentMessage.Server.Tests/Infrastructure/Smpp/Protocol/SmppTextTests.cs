using AgentMessage.Server.Infrastructure.Smpp.Protocol;
using static AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol.SmppBytes;

namespace AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol;

public sealed class SmppTextTests
{
    [Fact]
    public void Encode_GsmBasicAndExtension_IsUnpackedSeptetsThatDecodeBack()
    {
        const string text = "Hi {Ana}: 5€ @ Øre";

        SmppEncoded encoded = SmppText.Encode(text);

        Assert.Equal(SmppText.DataCodingDefault, encoded.DataCoding);
        byte[] part = Assert.Single(encoded.Parts);
        Assert.Equal(Hex("48 69 20 1B28 41 6E 61 1B29 3A 20 35 1B65 20 00 20 0B 72 65"), part);
        Assert.Equal(text, SmppText.Decode(encoded.DataCoding, part));
    }

    [Fact]
    public void Encode_TextWithEmoji_IsUtf16BigEndian()
    {
        const string text = "Hi 😀";

        SmppEncoded encoded = SmppText.Encode(text);

        Assert.Equal(SmppText.DataCodingUcs2, encoded.DataCoding);
        byte[] part = Assert.Single(encoded.Parts);
        Assert.Equal(Hex("0048 0069 0020 D83D DE00"), part);
        Assert.Equal(text, SmppText.Decode(SmppText.DataCodingUcs2, part));
    }

    [Fact]
    public void Encode_EmptyText_IsOneEmptyGsmPart()
    {
        SmppEncoded encoded = SmppText.Encode("");

        Assert.Equal(SmppText.DataCodingDefault, encoded.DataCoding);
        Assert.Empty(Assert.Single(encoded.Parts));
    }

    [Fact]
    public void Encode_ThreePartGsmText_PartsWithUdhReassembleToTheText()
    {
        string text = string.Concat(Enumerable.Repeat("Part of a long text [x] ", 14)); // 24 chars, 26 septets each
        Assert.Equal(364, AgentMessage.Core.Messaging.Gsm7.EncodeUnpacked(text).Length);

        SmppEncoded encoded = SmppText.Encode(text);

        Assert.Equal(SmppText.DataCodingDefault, encoded.DataCoding);
        Assert.Equal(3, encoded.Parts.Count);
        var reassembled = new System.Text.StringBuilder();
        for (int i = 0; i < encoded.Parts.Count; i++)
        {
            Assert.InRange(encoded.Parts[i].Length, 1, 153);
            byte[] shortMessage = Udh.WithConcat(encoded.Parts[i], 0x2A, 3, (byte)(i + 1));
            Assert.Equal(Hex($"05 00 03 2A 03 0{i + 1}"), shortMessage[..6]);

            Assert.True(Udh.TryReadConcat(shortMessage, out int reference, out int total, out int part, out int offset));
            Assert.Equal((0x2A, 3, i + 1, 6), (reference, total, part, offset));
            reassembled.Append(SmppText.Decode(SmppText.DataCodingDefault, shortMessage.AsSpan(offset)));
        }

        Assert.Equal(text, reassembled.ToString());
    }

    [Fact]
    public void Encode_LongUcs2Text_Has67UnitPartsAt134Octets()
    {
        SmppEncoded encoded = SmppText.Encode(new string('Ж', 140));

        Assert.Equal(SmppText.DataCodingUcs2, encoded.DataCoding);
        Assert.Equal([134, 134, 12], encoded.Parts.Select(p => p.Length));
    }

    [Fact]
    public void Decode_Latin1_ReadsAccentedCapital()
    {
        Assert.Equal("ARRÊT", SmppText.Decode(SmppText.DataCodingLatin1, Hex("41 52 52 CA 54")));
    }

    [Fact]
    public void Decode_AsciiWithHighOctet_ReadsItAsLatin1()
    {
        Assert.Equal("ARRÊT", SmppText.Decode(SmppText.DataCodingAscii, Hex("41 52 52 CA 54")));
    }

    [Theory]
    [InlineData(0xF0)]
    [InlineData(0xF1)]
    [InlineData(0xF2)]
    [InlineData(0xF3)]
    [InlineData(0xC0)]
    [InlineData(0xD3)]
    public void Decode_GsmClassCodings_ReadAsGsmSeptets(byte dataCoding)
    {
        Assert.Equal("@€a", SmppText.Decode(dataCoding, Hex("00 1B65 61")));
    }

    [Theory]
    [InlineData(0xF4)]
    [InlineData(0xF5)]
    [InlineData(0xF6)]
    [InlineData(0xF7)]
    public void Decode_EightBitClassCodings_ReadAsLatin1(byte dataCoding)
    {
        Assert.Equal("Ê@", SmppText.Decode(dataCoding, Hex("CA 40")));
    }

    [Fact]
    public void Decode_MessageWaitingUcs2Coding_ReadsUtf16()
    {
        Assert.Equal("Ж", SmppText.Decode(0xE0, Hex("0416")));
    }

    [Fact]
    public void Decode_Ucs2WithOddTrailingOctet_DropsIt()
    {
        Assert.Equal("A", SmppText.Decode(SmppText.DataCodingUcs2, Hex("0041 00")));
    }

    [Fact]
    public void Decode_Ucs2WithLoneSurrogate_ReadsReplacementCharacter()
    {
        Assert.Equal("\uFFFDA", SmppText.Decode(SmppText.DataCodingUcs2, Hex("D83D 0041")));
        Assert.Equal("A\uFFFD", SmppText.Decode(SmppText.DataCodingUcs2, Hex("0041 DE00")));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(0x10)]
    [InlineData(0xBF)]
    public void Decode_UnsupportedCoding_IsNull(byte dataCoding)
    {
        Assert.Null(SmppText.Decode(dataCoding, Hex("41 42")));
    }
}

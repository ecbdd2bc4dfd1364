using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Tests.Messaging;

public sealed class Gsm7Tests
{
    // GSM 03.38 basic table written out by code, 0x00-0x7F, with 0x1B (escape) as '\0' here.
    private const string BasicByCode =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\0ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    [Fact]
    public void EncodeUnpacked_EveryBasicCharacter_IsItsCode()
    {
        Assert.Equal(128, BasicByCode.Length);
        for (int code = 0; code < 128; code++)
        {
            if (code == 0x1B)
            {
                continue;
            }

            Assert.Equal(new[] { (byte)code }, Gsm7.EncodeUnpacked(BasicByCode[code].ToString()));
        }
    }

    [Theory]
    [InlineData('\f', 0x0A)]
    [InlineData('^', 0x14)]
    [InlineData('{', 0x28)]
    [InlineData('}', 0x29)]
    [InlineData('\\', 0x2F)]
    [InlineData('[', 0x3C)]
    [InlineData('~', 0x3D)]
    [InlineData(']', 0x3E)]
    [InlineData('|', 0x40)]
    [InlineData('€', 0x65)]
    public void EncodeUnpacked_ExtensionCharacter_IsEscapeThenCode(char c, byte code)
    {
        Assert.Equal(new byte[] { 0x1B, code }, Gsm7.EncodeUnpacked(c.ToString()));
        Assert.Equal(c.ToString(), Gsm7.DecodeUnpacked([0x1B, code]));
        Assert.True(Gsm7.IsExtension(c));
    }

    [Fact]
    public void EncodeUnpacked_MixedText_MatchesHandWrittenSeptets()
    {
        // "Hi {5€}" = H i SP ESC ( 5 ESC e ESC )
        byte[] expected = [0x48, 0x69, 0x20, 0x1B, 0x28, 0x35, 0x1B, 0x65, 0x1B, 0x29];

        Assert.Equal(expected, Gsm7.EncodeUnpacked("Hi {5€}"));
    }

    [Theory]
    [InlineData("ç")]
    [InlineData("a`b")]
    [InlineData("\t")]
    [InlineData("\u2126")] // ohm sign, not Greek capital omega
    [InlineData("😀")]
    public void EncodeUnpacked_CharacterOutsideGsm_Throws(string text)
    {
        Assert.False(Gsm7.IsEncodable(text));
        Assert.Throws<ArgumentException>(() => Gsm7.EncodeUnpacked(text));
    }

    [Fact]
    public void DecodeUnpacked_EveryBasicCode_IsItsCharacter()
    {
        for (int code = 0; code < 128; code++)
        {
            string expected = code == 0x1B ? " " : BasicByCode[code].ToString();
            Assert.Equal(expected, Gsm7.DecodeUnpacked([(byte)code]));
        }
    }

    [Fact]
    public void DecodeUnpacked_TopBitSet_IsReadAsSeptet()
    {
        Assert.Equal("A@", Gsm7.DecodeUnpacked([0xC1, 0x80]));
    }

    [Fact]
    public void DecodeUnpacked_EscapeBeforeUndefinedCode_IsBasicCharacterOfThatCode()
    {
        Assert.Equal("aAb", Gsm7.DecodeUnpacked([0x61, 0x1B, 0x41, 0x62]));
    }

    [Fact]
    public void DecodeUnpacked_TrailingEscape_IsSpace()
    {
        Assert.Equal("a ", Gsm7.DecodeUnpacked([0x61, 0x1B]));
    }

    [Fact]
    public void DecodeUnpacked_DoubleEscape_IsOneSpace()
    {
        Assert.Equal("a b", Gsm7.DecodeUnpacked([0x61, 0x1B, 0x1B, 0x62]));
    }

    [Fact]
    public void RoundTrip_WholeAlphabetLongerThanStackBuffer_GivesTextBack()
    {
        string text = string.Concat(Enumerable.Repeat(BasicByCode.Replace("\0", string.Empty) + "\f^{}\\[~]|€", 5));

        Assert.True(Gsm7.IsEncodable(text));
        Assert.Equal(text, Gsm7.DecodeUnpacked(Gsm7.EncodeUnpacked(text)));
    }

    [Fact]
    public void IsEncodable_EmptyText_IsTrue()
    {
        Assert.True(Gsm7.IsEncodable(string.Empty));
        Assert.Empty(Gsm7.EncodeUnpacked(string.Empty));
        Assert.Equal(string.Empty, Gsm7.DecodeUnpacked([]));
    }
}

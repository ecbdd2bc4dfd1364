using AgentMessage.Server.Infrastructure.Smpp.Protocol;
using static AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol.SmppBytes;

namespace AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol;

public sealed class UdhTests
{
    [Fact]
    public void WithConcat_PutsEightBitReferenceHeaderBeforePayload()
    {
        Assert.Equal(Hex("05 00 03 7F 02 01 41 42"), Udh.WithConcat(Hex("41 42"), 0x7F, 2, 1));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 0)]
    [InlineData(2, 3)]
    public void WithConcat_ImpossiblePart_Throws(byte total, byte part)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Udh.WithConcat([], 1, total, part));
    }

    [Fact]
    public void TryReadConcat_SixteenBitReference_ReadsIt()
    {
        Assert.True(Udh.TryReadConcat(Hex("06 08 04 1234 03 02 41"), out int reference, out int total, out int part, out int offset));

        Assert.Equal((0x1234, 3, 2, 7), (reference, total, part, offset));
    }

    [Fact]
    public void TryReadConcat_ConcatAfterOtherElement_FindsIt()
    {
        // Application port addressing (IE 05, 4 octets) then concatenation.
        byte[] message = Hex("0B 05 04 0B84 23F0 00 03 09 02 02 41");

        Assert.True(Udh.TryReadConcat(message, out int reference, out int total, out int part, out int offset));
        Assert.Equal((9, 2, 2, 12), (reference, total, part, offset));
    }

    [Fact]
    public void TryReadConcat_NoConcatElement_IsFalseWithOffsetPastHeader()
    {
        Assert.False(Udh.TryReadConcat(Hex("06 05 04 0B84 23F0 41"), out _, out _, out _, out int offset));
        Assert.Equal(7, offset);
    }

    [Fact]
    public void TryReadConcat_EmptyHeader_IsFalseWithOffsetPastIt()
    {
        Assert.False(Udh.TryReadConcat(Hex("00 41"), out _, out _, out _, out int offset));
        Assert.Equal(1, offset);
    }

    [Fact]
    public void TryReadConcat_ConcatElementOfWrongLength_IsIgnored()
    {
        Assert.False(Udh.TryReadConcat(Hex("04 00 02 01 02 41"), out _, out _, out _, out int offset));
        Assert.Equal(5, offset);
    }

    [Theory]
    [InlineData("05 00 03 01 00 01")] // total 0
    [InlineData("05 00 03 01 02 00")] // part 0
    [InlineData("05 00 03 01 02 03")] // part past total
    public void TryReadConcat_InsaneNumbers_IsFalseWithOffsetPastHeader(string message)
    {
        Assert.False(Udh.TryReadConcat(Hex(message), out int reference, out int total, out int part, out int offset));
        Assert.Equal((0, 0, 0, 6), (reference, total, part, offset));
    }

    [Theory]
    [InlineData("")]
    [InlineData("05 00 03 01")] // header length past the end
    [InlineData("03 00 03 01")] // element runs past the header
    [InlineData("01 00")] // element header cut short
    public void TryReadConcat_MalformedHeader_IsFalseWithOffsetZero(string message)
    {
        Assert.False(Udh.TryReadConcat(Hex(message), out _, out _, out _, out int offset));
        Assert.Equal(0, offset);
    }

    [Fact]
    public void TryReadConcat_RepeatedElement_LastCounts()
    {
        Assert.True(Udh.TryReadConcat(Hex("0A 00 03 01 02 01 00 03 05 03 03"), out int reference, out int total, out int part, out _));
        Assert.Equal((5, 3, 3), (reference, total, part));
    }

    [Fact]
    public void TryReadConcat_SarTlvs_ReadsThem()
    {
        Tlv[] tlvs =
        [
            Tlv.FromByte(TlvTag.MessageState, 2),
            Tlv.FromUInt16(TlvTag.SarMsgRefNum, 0xBEEF),
            Tlv.FromByte(TlvTag.SarTotalSegments, 4),
            Tlv.FromByte(TlvTag.SarSegmentSeqnum, 4),
        ];

        Assert.True(Udh.TryReadConcat(tlvs, out int reference, out int total, out int part));
        Assert.Equal((0xBEEF, 4, 4), (reference, total, part));
    }

    [Fact]
    public void TryReadConcat_SarTlvsIncompleteWrongSizeOrInsane_IsFalse()
    {
        Tlv reference = Tlv.FromUInt16(TlvTag.SarMsgRefNum, 1);
        Tlv total = Tlv.FromByte(TlvTag.SarTotalSegments, 2);
        Tlv part = Tlv.FromByte(TlvTag.SarSegmentSeqnum, 1);

        Assert.False(Udh.TryReadConcat([reference, total], out _, out _, out _));
        Assert.False(Udh.TryReadConcat([Tlv.FromByte(TlvTag.SarMsgRefNum, 1), total, part], out _, out _, out _));
        Assert.False(Udh.TryReadConcat([reference, total, Tlv.FromByte(TlvTag.SarSegmentSeqnum, 3)], out _, out _, out _));
        Assert.False(Udh.TryReadConcat(Array.Empty<Tlv>(), out _, out _, out _));
    }
}

using System.Buffers;
using AgentMessage.Server.Infrastructure.Smpp.Protocol;
using static AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol.SmppBytes;

namespace AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol;

public sealed class PduFramingTests
{
    private static readonly byte[] EnquireLink = Hex("00000010 00000015 00000000 00000001");
    private static readonly byte[] SubmitSmResp = Hex("00000017 80000004 00000000 00000002 61626331323300");

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(15)]
    public void TryReadFrame_PartialHeader_NeedsMoreAndLeavesBuffer(int available)
    {
        var buffer = new ReadOnlySequence<byte>(EnquireLink, 0, available);

        Assert.Equal(FrameResult.NeedMore, PduCodec.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame));
        Assert.Equal(available, buffer.Length);
        Assert.True(frame.IsEmpty);
    }

    [Fact]
    public void TryReadFrame_PartialBody_NeedsMoreAndLeavesBuffer()
    {
        var buffer = new ReadOnlySequence<byte>(SubmitSmResp, 0, SubmitSmResp.Length - 1);

        Assert.Equal(FrameResult.NeedMore, PduCodec.TryReadFrame(ref buffer, out _));
        Assert.Equal(SubmitSmResp.Length - 1, buffer.Length);
    }

    [Fact]
    public void TryReadFrame_TwoFramesInOneBuffer_ReadsBothInOrder()
    {
        var buffer = new ReadOnlySequence<byte>([.. EnquireLink, .. SubmitSmResp]);

        Assert.Equal(FrameResult.Frame, PduCodec.TryReadFrame(ref buffer, out ReadOnlySequence<byte> first));
        Assert.Equal(EnquireLink, first.ToArray());
        Assert.Equal(FrameResult.Frame, PduCodec.TryReadFrame(ref buffer, out ReadOnlySequence<byte> second));
        Assert.Equal(SubmitSmResp, second.ToArray());
        Assert.True(buffer.IsEmpty);
        Assert.Equal(FrameResult.NeedMore, PduCodec.TryReadFrame(ref buffer, out _));
    }

    [Fact]
    public void TryReadFrame_FrameAndPartOfNext_LeavesThePart()
    {
        var buffer = new ReadOnlySequence<byte>([.. SubmitSmResp, .. EnquireLink[..6]]);

        Assert.Equal(FrameResult.Frame, PduCodec.TryReadFrame(ref buffer, out _));
        Assert.Equal(EnquireLink[..6], buffer.ToArray());
        Assert.Equal(FrameResult.NeedMore, PduCodec.TryReadFrame(ref buffer, out _));
    }

    [Fact]
    public void TryReadFrame_FrameSplitAcrossSegments_ReadsWholeFrame()
    {
        // Cut inside the length prefix, inside the header and inside the body.
        var buffer = Segmented([.. SubmitSmResp, .. EnquireLink], 2, 9, 20, 25);

        Assert.Equal(FrameResult.Frame, PduCodec.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame));
        Assert.False(frame.IsSingleSegment);
        Assert.Equal(SubmitSmResp, frame.ToArray());
        Assert.Equal("abc123", Assert.IsType<SubmitSmResp>(PduCodec.Decode(frame).Pdu).MessageId);
        Assert.Equal(FrameResult.Frame, PduCodec.TryReadFrame(ref buffer, out ReadOnlySequence<byte> next));
        Assert.IsType<EnquireLink>(PduCodec.Decode(next).Pdu);
    }

    [Theory]
    [InlineData("00000000")]
    [InlineData("0000000F")]
    [InlineData("00010001")] // 65537
    [InlineData("FFFFFFFF")]
    public void TryReadFrame_ImpossibleLength_IsBadLength(string length)
    {
        var buffer = new ReadOnlySequence<byte>(Hex(length + "00000015 00000000 00000001"));

        Assert.Equal(FrameResult.BadLength, PduCodec.TryReadFrame(ref buffer, out _));
        Assert.Equal(16, buffer.Length);
    }

    [Fact]
    public void TryReadFrame_LengthAtMaximum_IsAFrameOnceAllThere()
    {
        byte[] bytes = new byte[PduCodec.MaxLength];
        Hex("00010000 00000015 00000000 00000001").CopyTo(bytes, 0);

        var partial = new ReadOnlySequence<byte>(bytes, 0, bytes.Length - 1);
        Assert.Equal(FrameResult.NeedMore, PduCodec.TryReadFrame(ref partial, out _));

        var whole = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(FrameResult.Frame, PduCodec.TryReadFrame(ref whole, out ReadOnlySequence<byte> frame));
        Assert.Equal(PduCodec.MaxLength, frame.Length);
        Assert.IsType<EnquireLink>(PduCodec.Decode(frame).Pdu);
    }
}

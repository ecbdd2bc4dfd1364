using System.Buffers;
using System.Buffers.Binary;
using AgentMessage.Server.Infrastructure.Smpp.Protocol;

namespace AgentMessage.Server.Tests.Infrastructure.Smpp.Protocol;

/// <summary>Whatever arrives on the socket, reading it never throws.</summary>
public sealed class PduFuzzTests
{
    [Fact]
    public void Decode_RandomBytes_NeverThrows()
    {
        var random = new Random(0x534D5050);
        for (int run = 0; run < 20_000; run++)
        {
            byte[] bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            if (bytes.Length >= 16 && run % 2 == 0)
            {
                // Half the runs get a consistent length and a real command id, so bodies are parsed.
                BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)bytes.Length);
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), (uint)KnownCommandIds[random.Next(KnownCommandIds.Length)]);
            }

            AssertReadsWithoutThrowing(bytes, run);
        }
    }

    [Fact]
    public void Decode_MutatedValidPdus_NeverThrows()
    {
        byte[][] valid = PduCodecTests.EveryPduType().Select(row => PduCodec.Encode(row.Data)).ToArray();
        var random = new Random(34);
        for (int run = 0; run < 20_000; run++)
        {
            byte[] bytes = Mutate(valid[random.Next(valid.Length)], random);
            if (bytes.Length >= 4 && random.Next(3) > 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)bytes.Length);
            }

            AssertReadsWithoutThrowing(bytes, run);
        }
    }

    [Fact]
    public void TryReadFrame_RandomStream_NeverThrowsAndAlwaysProgresses()
    {
        var random = new Random(7);
        for (int run = 0; run < 2_000; run++)
        {
            byte[] bytes = new byte[random.Next(0, 2_000)];
            random.NextBytes(bytes);
            for (int at = 0; at + 4 <= bytes.Length; at += random.Next(40, 400))
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), (uint)random.Next(0, 600));
            }

            var buffer = new ReadOnlySequence<byte>(bytes);
            while (PduCodec.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame) == FrameResult.Frame)
            {
                Assert.InRange(frame.Length, PduCodec.HeaderLength, PduCodec.MaxLength);
                PduCodec.Decode(frame);
            }
        }
    }

    private static readonly CommandId[] KnownCommandIds = [.. Enum.GetValues<CommandId>(), (CommandId)0x99];

    private static void AssertReadsWithoutThrowing(byte[] bytes, int run)
    {
        DecodeResult result;
        try
        {
            result = PduCodec.Decode(bytes);
            PduCodec.Decode(SmppBytes.Segmented(bytes, bytes.Length / 2));
        }
        catch (Exception e)
        {
            Assert.Fail($"run {run}: decoding {Convert.ToHexString(bytes)} threw {e}");
            return;
        }

        Assert.True(result.Pdu is null != (result.ErrorStatus == CommandStatus.Ok), $"run {run}: a PDU and an error status");
        if (result.Pdu is not null)
        {
            // Whatever decodes is within the spec's sizes, so it encodes, and reads back the same.
            byte[] encoded = PduCodec.Encode(result.Pdu);
            Assert.Equal(encoded, PduCodec.Encode(PduCodec.Decode(encoded).Pdu!));
        }
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        byte[] bytes = (byte[])valid.Clone();
        switch (random.Next(4))
        {
            case 0:
                for (int i = random.Next(1, 4); i > 0; i--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
            case 1:
                return bytes[..random.Next(bytes.Length + 1)];
            case 2:
                byte[] longer = new byte[bytes.Length + random.Next(1, 8)];
                bytes.CopyTo(longer, 0);
                random.NextBytes(longer.AsSpan(bytes.Length));
                return longer;
            default:
                // A zero (a C-string's NUL, a short sm_length) or 0xFF where it hurts most: in the body.
                if (bytes.Length > 16)
                {
                    bytes[random.Next(16, bytes.Length)] = random.Next(2) == 0 ? (byte)0 : (byte)0xFF;
                }

                return bytes;
        }
    }
}

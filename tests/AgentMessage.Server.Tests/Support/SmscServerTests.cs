using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentMessage.Server.Tests.Support;

/// <summary>
/// The test SMSC driven by a raw TCP client writing hand-built PDUs, so that the fixture is proven
/// before any SMPP client of ours talks to it: binds, recorded submits, rules, receipts, garbage, and
/// the control calls that reach the client.
/// </summary>
public sealed class SmscServerTests(SmscFixture fixture) : IClassFixture<SmscFixture>, IAsyncLifetime
{
    private const ushort UserMessageReference = 0x0204;
    private const ushort ReceiptedMessageId = 0x001E;
    private const ushort MessageState = 0x0427;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private SmscServer Server => fixture.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await Server.ResetAsync(Ct);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Bind_ChecksTheAccount_AndASubmitBeforeABindIsRefused()
    {
        await using var esme = await RawEsme.ConnectAsync(Server);

        var early = await esme.RequestAsync(SmscCommandId.SubmitSm, SubmitSmBody("15550001111", "hi"u8.ToArray()));
        var wrongPassword = await esme.RequestAsync(SmscCommandId.BindTransceiver, BindBody(Server.SystemId, "not-it"));
        var unknownSystem = await esme.RequestAsync(SmscCommandId.BindTransceiver, BindBody("stranger", Server.Password));
        var good = await esme.RequestAsync(SmscCommandId.BindTransceiver, BindBody(Server.SystemId, Server.Password));
        var again = await esme.RequestAsync(SmscCommandId.BindTransceiver, BindBody(Server.SystemId, Server.Password));

        Assert.Equal((SmscCommandId.SubmitSmResp, SmscCommandStatus.IncorrectBindStatus), (early.CommandId, early.CommandStatus));
        Assert.Equal((SmscCommandId.BindTransceiverResp, SmscCommandStatus.InvalidPassword), (wrongPassword.CommandId, wrongPassword.CommandStatus));
        Assert.Equal(SmscCommandStatus.InvalidSystemId, unknownSystem.CommandStatus);
        Assert.Equal((SmscCommandId.BindTransceiverResp, SmscCommandStatus.Ok), (good.CommandId, good.CommandStatus));
        Assert.Equal("AgentMessageSMSC\0", Encoding.ASCII.GetString(good.Body, 0, 17));
        Assert.Equal(SmscCommandStatus.AlreadyBound, again.CommandStatus);

        var session = await esme.SessionAsync();
        Assert.True(session.Bound);
        Assert.Equal("transceiver", session.BindType);
        var binds = (await Server.GetEventsAsync(Ct)).Where(e => e.Type == SmscEventTypes.Bind && e.Session == session.Index).Select(e => e.CommandStatus);
        uint?[] expected = [SmscCommandStatus.InvalidPassword, SmscCommandStatus.InvalidSystemId, SmscCommandStatus.Ok, SmscCommandStatus.AlreadyBound];
        Assert.Equal(expected, binds);

        await Server.SetAccountAsync("tenant-b", "pw-b", Ct);
        await using var other = await RawEsme.ConnectAsync(Server);
        Assert.Equal(SmscCommandStatus.InvalidSystemId, (await other.RequestAsync(SmscCommandId.BindTransmitter, BindBody(SmscServer.DefaultSystemId, SmscServer.DefaultPassword))).CommandStatus);
        Assert.Equal(SmscCommandStatus.Ok, (await other.RequestAsync(SmscCommandId.BindTransmitter, BindBody("tenant-b", "pw-b"))).CommandStatus);
        Assert.Equal(("tenant-b", "pw-b"), (Server.SystemId, Server.Password));
    }

    [Fact]
    public async Task SubmitSm_IsAnsweredWithTheNextHexId_AndRecordedExactlyAsSent()
    {
        await using var esme = await RawEsme.BoundAsync(Server);
        var text = Encoding.BigEndianUnicode.GetBytes("héllo ✓");
        byte[][] tlvs = [Tlv(UserMessageReference, [0x00, 0x07]), Tlv(0x1400, [0xAB])];

        var first = await esme.RequestAsync(SmscCommandId.SubmitSm, SubmitSmBody("15551234567", text, source: "AgentMsg", sourceTon: 5, dataCoding: 8, registeredDelivery: 1, tlvs: tlvs));
        var second = await esme.RequestAsync(SmscCommandId.SubmitSm, SubmitSmBody("15551234567", "x"u8.ToArray()));

        Assert.Equal((SmscCommandId.SubmitSmResp, SmscCommandStatus.Ok, first.Sequence), (first.CommandId, first.CommandStatus, esme.LastSequence - 1));
        var id = CString(first.Body, 0);
        Assert.Matches("^[0-9A-F]{8}$", id);
        Assert.Equal((Convert.ToUInt32(id, 16) + 1).ToString("X8", System.Globalization.CultureInfo.InvariantCulture), CString(second.Body, 0));

        var recorded = (await Server.WaitForSubmitsAsync(2, Wait, Ct))[0];
        var session = await esme.SessionAsync();
        Assert.Equal((session.Index, first.Sequence, "answered", SmscCommandStatus.Ok, id), (recorded.Session, recorded.Sequence, recorded.Outcome, recorded.CommandStatus, recorded.MessageId));
        Assert.Equal(("AgentMsg", (byte)5, (byte)0), (recorded.SourceAddr, recorded.SourceAddrTon, recorded.SourceAddrNpi));
        Assert.Equal(("15551234567", (byte)1, (byte)1), (recorded.DestinationAddr, recorded.DestAddrTon, recorded.DestAddrNpi));
        Assert.Equal(((byte)8, (byte)1, (byte)0), (recorded.DataCoding, recorded.RegisteredDelivery, recorded.EsmClass));
        Assert.Equal(text, recorded.ShortMessage);
        Assert.Equal([SmscTlv.Of(UserMessageReference, [0x00, 0x07]), SmscTlv.Of(0x1400, [0xAB])], recorded.Tlvs);
        Assert.Equal(new byte[] { 0x00, 0x07 }, recorded.Tlv(UserMessageReference));
        Assert.Null(recorded.Error);

        var stats = await Server.GetStatsAsync(Ct);
        Assert.Equal((2, 2L), (stats.Recorded, stats.Submits));
        Assert.Equal(2, stats.BySession[session.Index]);
    }

    [Fact]
    public async Task Rules_AnswerThrottledThenOk_ByDestination_NotAtAll_OrByClosing()
    {
        await using var esme = await RawEsme.BoundAsync(Server);
        await Server.AddRuleAsync(SmscRule.Status(SmscCommandStatus.InvalidDestinationAddress, destination: "15550000000"), Ct);
        await Server.AddRuleAsync(SmscRule.Status(SmscCommandStatus.Throttled, count: 2), Ct);

        var statuses = new List<uint>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await esme.RequestAsync(SmscCommandId.SubmitSm, SubmitSmBody("15551112222", "m"u8.ToArray()))).CommandStatus);
        }

        var badDestination = await esme.RequestAsync(SmscCommandId.SubmitSm, SubmitSmBody("15550000000", "m"u8.ToArray()));
        Assert.Equal([SmscCommandStatus.Throttled, SmscCommandStatus.Throttled, SmscCommandStatus.Ok], statuses);
        Assert.Equal(SmscCommandStatus.InvalidDestinationAddress, badDestination.CommandStatus);
        Assert.Empty(badDestination.Body);

        // The SMSC answers in order, so the second submit's answer arriving first proves the first got none.
        await Server.ClearRulesAsync(Ct);
        await Server.AddRuleAsync(SmscRule.NoResponse(count: 1), Ct);
        var unanswered = await esme.SendAsync(SmscCommandId.SubmitSm, SubmitSmBody("15551112222", "lost"u8.ToArray()));
        var answered = await esme.SendAsync(SmscCommandId.SubmitSm, SubmitSmBody("15551112222", "kept"u8.ToArray()));
        Assert.Equal(answered, (await esme.ReadAsync()).Sequence);

        await Server.AddRuleAsync(SmscRule.Close(count: 1), Ct);
        await esme.SendAsync(SmscCommandId.SubmitSm, SubmitSmBody("15551112222", "dropped"u8.ToArray()));
        Assert.True(await esme.IsClosedAsync());

        var submits = await Server.GetSubmitsAsync(Ct);
        (string, uint?)[] outcomes = [("answered", 0x58), ("answered", 0x58), ("answered", 0), ("answered", 0x0B), ("noResponse", null), ("answered", 0), ("closed", null)];
        Assert.Equal(outcomes, submits.Select(s => (s.Outcome, s.CommandStatus)));
        Assert.Equal(unanswered, submits[4].Sequence);
    }

    [Fact]
    public async Task Receipt_InTlvForm_ArrivesOnTheSubmittingBind_AndItsRespIsLogged()
    {
        await using var esme = await RawEsme.BoundAsync(Server);
        await Server.SetReceiptsAsync(new SmscReceipts(), Ct);

        var submitted = await esme.RequestAsync(SmscCommandId.SubmitSm, SubmitSmBody("15557654321", "receipt me"u8.ToArray(), source: "15550001111", registeredDelivery: 1));
        var id = CString(submitted.Body, 0);
        var deliver = await esme.ReadAsync();
        var receipt = DeliverSm.Parse(deliver.Body);
        await esme.SendAsync(SmscCommandId.DeliverSmResp, [0], deliver.Sequence);

        Assert.Equal(SmscCommandId.DeliverSm, deliver.CommandId);
        Assert.Equal(("15557654321", "15550001111", (byte)0x04), (receipt.SourceAddr, receipt.DestinationAddr, receipt.EsmClass));
        Assert.Equal(Encoding.ASCII.GetBytes(id + "\0"), receipt.Tlvs[ReceiptedMessageId]);
        Assert.Equal(new byte[] { 2 }, receipt.Tlvs[MessageState]);
        var text = Encoding.ASCII.GetString(receipt.ShortMessage);
        Assert.StartsWith($"id:{id} sub:001 dlvrd:001 submit date:", text, StringComparison.Ordinal);
        Assert.Contains(" stat:DELIVRD err:000 text:receipt me", text, StringComparison.Ordinal);

        var resp = await Server.WaitForEventAsync(e => e.Type == SmscEventTypes.DeliverSmResp && e.MessageId == id, Wait, Ct);
        Assert.Equal((SmscCommandStatus.Ok, deliver.Sequence), (resp.CommandStatus!.Value, resp.Sequence!.Value));
    }

    [Fact]
    public async Task Receipt_ToAnotherBind_InTextFormWithADecimalId()
    {
        await using var transmitter = await RawEsme.BoundAsync(Server, SmscCommandId.BindTransmitter);
        await using var receiver = await RawEsme.BoundAsync(Server, SmscCommandId.BindReceiver);
        await Server.SetReceiptsAsync(new SmscReceipts { Target = SmscReceiptTarget.Other, Form = SmscReceiptForm.Text, IdForm = SmscReceiptIdForm.Decimal, Stat = "UNDELIV", Error = "034" }, Ct);

        var submitted = await transmitter.RequestAsync(SmscCommandId.SubmitSm, SubmitSmBody("15557654321", "x"u8.ToArray(), registeredDelivery: 1));
        var deliver = await receiver.ReadAsync();
        await receiver.SendAsync(SmscCommandId.DeliverSmResp, [0], deliver.Sequence);

        var receipt = DeliverSm.Parse(deliver.Body);
        var decimalId = Convert.ToUInt32(CString(submitted.Body, 0), 16).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith($"id:{decimalId} sub:001 dlvrd:000 ", Encoding.ASCII.GetString(receipt.ShortMessage), StringComparison.Ordinal);
        Assert.Contains(" stat:UNDELIV err:034 ", Encoding.ASCII.GetString(receipt.ShortMessage), StringComparison.Ordinal);
        Assert.Empty(receipt.Tlvs);
        Assert.Equal(0x04, receipt.EsmClass);
        var resp = await Server.WaitForEventAsync(e => e.Type == SmscEventTypes.DeliverSmResp, Wait, Ct);
        Assert.Equal((await receiver.SessionAsync()).Index, resp.Session);
    }

    [Fact]
    public async Task Garbage_AnUnknownCommandGetsGenericNack_AndAShortCommandLengthAlsoCloses()
    {
        await using var esme = await RawEsme.BoundAsync(Server);
        var session = (await esme.SessionAsync()).Index;

        var unknown = await esme.RequestAsync(0x00000123, []);
        var enquire = await esme.RequestAsync(SmscCommandId.EnquireLink, []);

        Assert.Equal((SmscCommandId.GenericNack, SmscCommandStatus.InvalidCommandId), (unknown.CommandId, unknown.CommandStatus));
        Assert.Equal(esme.LastSequence - 1, unknown.Sequence);
        Assert.Equal((SmscCommandId.EnquireLinkResp, SmscCommandStatus.Ok, esme.LastSequence), (enquire.CommandId, enquire.CommandStatus, enquire.Sequence));

        await esme.WriteAsync([0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x15]);
        var nack = await esme.ReadAsync();
        Assert.Equal((SmscCommandId.GenericNack, SmscCommandStatus.InvalidCommandLength, 0u), (nack.CommandId, nack.CommandStatus, nack.Sequence));
        Assert.True(await esme.IsClosedAsync());

        var events = await Server.GetEventsAsync(Ct);
        Assert.Contains(events, e => e.Type == SmscEventTypes.UnknownCommand && e.Session == session && e.CommandId == 0x123);
        Assert.Contains(events, e => e.Type == SmscEventTypes.EnquireLink && e.Session == session);
        Assert.Contains(events, e => e.Type == SmscEventTypes.InvalidPdu && e.Session == session && e.Detail!.Contains("command_length 8", StringComparison.Ordinal));
        await Server.WaitForEventAsync(e => e.Type == SmscEventTypes.Disconnect && e.Session == session, Wait, Ct);
    }

    [Fact]
    public async Task ControlCalls_ReachTheClient_AndReportItsAnswers()
    {
        await using var esme = await RawEsme.BoundAsync(Server);
        var session = (await esme.SessionAsync()).Index;

        var enquiring = Server.SendEnquireLinkAsync(session, ct: Ct);
        var enquire = await esme.ReadAsync();
        await esme.SendAsync(SmscCommandId.EnquireLinkResp, [], enquire.Sequence);
        var enquired = await enquiring;
        Assert.Equal(SmscCommandId.EnquireLink, enquire.CommandId);
        Assert.Equal((true, SmscCommandId.EnquireLinkResp, SmscCommandStatus.Ok, enquire.Sequence), (enquired.Answered, enquired.CommandId, enquired.CommandStatus, enquired.Sequence));

        var delivering = Server.SendDeliverSmAsync(
            new SmscDeliverSm { SourceAddr = "15559998888", DestinationAddr = "AgentMsg", Text = "héllo", Encoding = SmscTextEncoding.Latin1, DataCoding = 3, Tlvs = [SmscTlv.Of(0x020C, [0x12, 0x34])] },
            Ct);
        var deliver = await esme.ReadAsync();
        await esme.SendAsync(SmscCommandId.DeliverSmResp, [0], deliver.Sequence, SmscCommandStatus.SystemError);
        var delivered = await delivering;
        var inbound = DeliverSm.Parse(deliver.Body);
        Assert.Equal(("15559998888", "AgentMsg", (byte)3), (inbound.SourceAddr, inbound.DestinationAddr, inbound.DataCoding));
        Assert.Equal(Encoding.Latin1.GetBytes("héllo"), inbound.ShortMessage);
        Assert.Equal(new byte[] { 0x12, 0x34 }, inbound.Tlvs[0x020C]);
        Assert.Equal((true, SmscCommandStatus.SystemError), (delivered.Answered, delivered.CommandStatus));

        byte[] garbage = [0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x0F, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x63];
        var sendingRaw = Server.SendRawAsync(session, garbage, ct: Ct);
        var raw = await esme.ReadAsync();
        await esme.SendAsync(SmscCommandId.GenericNack, [], raw.Sequence, SmscCommandStatus.InvalidCommandId);
        var rawReply = await sendingRaw;
        Assert.Equal((0x00000FFFu, 0x63u), (raw.CommandId, raw.Sequence));
        Assert.Equal((true, SmscCommandId.GenericNack, SmscCommandStatus.InvalidCommandId, 0x63u), (rawReply.Answered, rawReply.CommandId, rawReply.CommandStatus, rawReply.Sequence));

        await using var bystander = await RawEsme.ConnectAsync(Server);
        var unbinding = Server.SendUnbindAsync(session, ct: Ct);
        var unbind = await esme.ReadAsync();
        await esme.SendAsync(SmscCommandId.UnbindResp, [], unbind.Sequence);
        var unbound = await unbinding;
        Assert.Equal((true, SmscCommandId.UnbindResp), (unbound.Answered, unbound.CommandId));
        Assert.True(await esme.IsClosedAsync());

        var bystanderPort = bystander.LocalPort;
        var dropped = await Server.DropConnectionsAsync(Ct);
        Assert.True(await bystander.IsClosedAsync());
        var connected = await Server.WaitForEventAsync(e => e.Type == SmscEventTypes.Connect && e.Detail == $"127.0.0.1:{bystanderPort}", Wait, Ct);
        Assert.Contains(connected.Session!.Value, dropped);
    }

    [Fact]
    public async Task DisposeAsync_StopsNode()
    {
        var server = await SmscServer.StartAsync(Ct);
        Assert.True(server.IsRunning);
        Assert.NotEqual(Server.Port, server.Port);

        await server.DisposeAsync();

        Assert.False(server.IsRunning);
        using var tcp = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => tcp.ConnectAsync(IPAddress.Loopback, server.Port, Ct).AsTask());
    }

    private static byte[] BindBody(string systemId, string password) => [.. CStringBytes(systemId), .. CStringBytes(password), .. CStringBytes(""), 0x34, 0, 0, 0];

    private static byte[] SubmitSmBody(
        string destination,
        byte[] shortMessage,
        string source = "",
        byte sourceTon = 0,
        byte dataCoding = 0,
        byte registeredDelivery = 0,
        byte[][]? tlvs = null) =>
    [
        0, // service_type ""
        sourceTon, 0, .. CStringBytes(source),
        1, 1, .. CStringBytes(destination),
        0, 0, 0, // esm_class, protocol_id, priority_flag
        0, 0, // schedule_delivery_time "", validity_period ""
        registeredDelivery, 0, dataCoding, 0,
        (byte)shortMessage.Length, .. shortMessage,
        .. (tlvs ?? []).SelectMany(tlv => tlv),
    ];

    private static byte[] Tlv(ushort tag, byte[] value) => [(byte)(tag >> 8), (byte)tag, (byte)(value.Length >> 8), (byte)value.Length, .. value];

    private static byte[] CStringBytes(string value) => [.. Encoding.ASCII.GetBytes(value), 0];

    private static string CString(byte[] bytes, int offset) => Encoding.Latin1.GetString(bytes, offset, Array.IndexOf(bytes, (byte)0, offset) - offset);

    private sealed record Pdu(uint CommandId, uint CommandStatus, uint Sequence, byte[] Body);

    /// <summary>The fields of a deliver_sm body these tests look at.</summary>
    private sealed record DeliverSm(string SourceAddr, string DestinationAddr, byte EsmClass, byte DataCoding, byte[] ShortMessage, Dictionary<ushort, byte[]> Tlvs)
    {
        public static DeliverSm Parse(byte[] body)
        {
            var offset = 0;
            string Text()
            {
                var value = CString(body, offset);
                offset += value.Length + 1;
                return value;
            }

            Text(); // service_type
            offset += 2;
            var source = Text();
            offset += 2;
            var destination = Text();
            var esmClass = body[offset];
            offset += 3;
            Text(); // schedule_delivery_time
            Text(); // validity_period
            offset += 2;
            var dataCoding = body[offset];
            offset += 2;
            var shortMessage = body.AsSpan(offset + 1, body[offset]).ToArray();
            offset += 1 + shortMessage.Length;
            var tlvs = new Dictionary<ushort, byte[]>();
            while (offset < body.Length)
            {
                var tag = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(offset));
                var length = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(offset + 2));
                tlvs[tag] = body.AsSpan(offset + 4, length).ToArray();
                offset += 4 + length;
            }

            return new DeliverSm(source, destination, esmClass, dataCoding, shortMessage, tlvs);
        }
    }

    /// <summary>A minimal ESME over a bare socket: writes the PDUs it is given, reads whole PDUs back. Not an SMPP client.</summary>
    private sealed class RawEsme(SmscServer server, TcpClient tcp) : IAsyncDisposable
    {
        private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);
        private readonly NetworkStream stream = tcp.GetStream();

        /// <summary>The sequence number of the last request sent.</summary>
        public uint LastSequence { get; private set; }

        public static async Task<RawEsme> ConnectAsync(SmscServer server)
        {
            var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(server.Host, server.Port, Ct);
            return new RawEsme(server, tcp);
        }

        public static async Task<RawEsme> BoundAsync(SmscServer server, uint bindCommand = SmscCommandId.BindTransceiver)
        {
            var esme = await ConnectAsync(server);
            var bound = await esme.RequestAsync(bindCommand, BindBody(server.SystemId, server.Password));
            Assert.Equal(SmscCommandStatus.Ok, bound.CommandStatus);
            return esme;
        }

        public int LocalPort { get; } = ((IPEndPoint)tcp.Client.LocalEndPoint!).Port;

        /// <summary>The SMSC's view of this bound connection, found by this end's port.</summary>
        public async Task<SmscSession> SessionAsync() => (await server.BoundSessionsAsync(Ct)).Single(session => session.RemotePort == LocalPort);

        /// <summary>Sends a PDU (a request gets the next sequence number) and returns its sequence number.</summary>
        public async Task<uint> SendAsync(uint commandId, byte[] body, uint? sequence = null, uint commandStatus = 0)
        {
            var number = sequence ?? ++LastSequence;
            var pdu = new byte[16 + body.Length];
            BinaryPrimitives.WriteUInt32BigEndian(pdu, (uint)pdu.Length);
            BinaryPrimitives.WriteUInt32BigEndian(pdu.AsSpan(4), commandId);
            BinaryPrimitives.WriteUInt32BigEndian(pdu.AsSpan(8), commandStatus);
            BinaryPrimitives.WriteUInt32BigEndian(pdu.AsSpan(12), number);
            body.CopyTo(pdu, 16);
            await WriteAsync(pdu);
            return number;
        }

        public async Task<Pdu> RequestAsync(uint commandId, byte[] body)
        {
            await SendAsync(commandId, body);
            return await ReadAsync();
        }

        public async Task WriteAsync(byte[] bytes) => await stream.WriteAsync(bytes, Ct);

        public async Task<Pdu> ReadAsync()
        {
            var header = new byte[16];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(ReadTimeout);
            await stream.ReadExactlyAsync(header, timeout.Token);
            var body = new byte[BinaryPrimitives.ReadUInt32BigEndian(header) - 16];
            await stream.ReadExactlyAsync(body, timeout.Token);
            return new Pdu(
                BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)),
                BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8)),
                BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12)),
                body);
        }

        /// <summary>True when the SMSC has closed the connection (end of stream, or a reset) with nothing left unread.</summary>
        public async Task<bool> IsClosedAsync()
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(ReadTimeout);
            try
            {
                return await stream.ReadAsync(new byte[1], timeout.Token) == 0;
            }
            catch (IOException)
            {
                return true;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stream.DisposeAsync();
            tcp.Dispose();
        }
    }
}

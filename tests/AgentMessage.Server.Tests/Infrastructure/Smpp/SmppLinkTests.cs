using System.Net;
using System.Text;
using AgentMessage.Core.Compliance;
using AgentMessage.Server.Hosting;
using AgentMessage.Server.Infrastructure.Smpp;
using AgentMessage.Server.Infrastructure.Smpp.Protocol;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Infrastructure.Smpp;

/// <summary>
/// The SMPP link against a real SMSC (node-smpp, <see cref="SmscServer"/>), through the public API:
/// a send over REST ends as submit_sm bytes at the SMSC, and the SMSC's receipts and messages end as
/// statuses and consent changes a client can read.
/// </summary>
public sealed class SmppLinkTests(SmscFixture fixture) : IClassFixture<SmscFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private SmscServer Smsc => fixture.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await Smsc.ResetAsync(Ct);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Bind_WithTheRightPassword_IsReady_AndUnbindsOnShutdown()
    {
        var server = await SmppSupport.StartBoundAsync(Smsc);
        var (ready, _) = await server.Rest.CallAsync(Get("/readyz", null));
        var bind = await Smsc.WaitForEventAsync(e => e.Type == SmscEventTypes.Bind, Wait, Ct);

        await server.DisposeAsync();
        var unbind = await Smsc.WaitForEventAsync(e => e.Type == SmscEventTypes.Unbind, Wait, Ct);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal((uint)0, bind.CommandStatus);
        Assert.Equal("transceiver", bind.BindType);
        Assert.Equal(bind.Session, unbind.Session);
    }

    [Fact]
    public async Task Bind_WithAWrongPassword_IsNotReady_LogsTheStatus_AndRetries()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            SmppSupport.Settings(Smsc, ("AgentMessage:Carrier:Smpp:Password", "wrong")),
            services => services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));

        await Smsc.WaitForEventAsync(e => e.Type == SmscEventTypes.Bind, Wait, Ct);
        await logs.WaitForLineAsync("refused by the SMSC: ESME_RINVPASWD");
        var (ready, body) = await server.Rest.CallAsync(Get("/readyz", null));
        await Eventually.HoldsAsync(async () => (await Smsc.GetEventsAsync(Ct)).Count(e => e.Type == SmscEventTypes.Bind) >= 2, Wait, Ct);
        var binds = (await Smsc.GetEventsAsync(Ct)).Where(e => e.Type == SmscEventTypes.Bind).ToList();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("smpp", body.ToJsonString(), StringComparison.Ordinal);
        Assert.True(binds.Count >= 2, "the refused bind is retried");
        Assert.All(binds, b => Assert.Equal(SmscCommandStatus.InvalidPassword, b.CommandStatus));
    }

    [Fact]
    public async Task ABindTheSmscNeverAnswers_TimesOut_AndIsTriedAgain()
    {
        // A peer that accepts connections and never says a word.
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var settings = SmppSupport.Settings(Smsc, ("AgentMessage:Carrier:Smpp:ResponseTimeout", "00:00:00.300"));
        settings["AgentMessage:Carrier:Smpp:Port"] = ((IPEndPoint)silent.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(settings, services => services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));

        using var first = await silent.AcceptSocketAsync(Ct);
        await logs.WaitForLineAsync("SMPP bind 0 not answered (Timeout)");
        using var second = await silent.AcceptSocketAsync(Ct);
        var (ready, _) = await server.Rest.CallAsync(Get("/readyz", null));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    [Fact]
    public async Task GsmText_GoesAsUnpackedSeptets_WithTheMessagesAddresses_AndIsDeliveredByATlvReceipt()
    {
        await Smsc.SetReceiptsAsync(new SmscReceipts { Form = SmscReceiptForm.Tlv }, Ct);
        await using var server = await SmppSupport.StartBoundAsync(Smsc);

        var id = await server.SendTextAsync("@ {€}");
        var submit = (await Smsc.WaitForSubmitsAsync(1, Wait, Ct))[0];
        var delivered = await server.WaitForStatusAsync(id, "delivered");

        Assert.Equal("15551112222", submit.SourceAddr);
        Assert.Equal("15554443333", submit.DestinationAddr);
        Assert.Equal((1, 1, 1, 1), (submit.SourceAddrTon, submit.SourceAddrNpi, submit.DestAddrTon, submit.DestAddrNpi));
        Assert.Equal(1, submit.RegisteredDelivery);
        Assert.Equal(0, submit.DataCoding);
        Assert.Equal(0, submit.EsmClass);
        Assert.Equal("00201B281B651B29", submit.ShortMessageHex);
        Assert.EndsWith("R", submit.ValidityPeriod, StringComparison.Ordinal);
        Assert.Equal("gsm7", (string)delivered["encoding"]!);
        Assert.Equal(1, (int)delivered["segments"]!);
    }

    [Fact]
    public async Task Ucs2Text_GoesAsUtf16BigEndian_AndIsDeliveredByATextReceiptWithALowerCaseId()
    {
        await Smsc.SetReceiptsAsync(new SmscReceipts { Form = SmscReceiptForm.Text, IdForm = SmscReceiptIdForm.Lower }, Ct);
        await using var server = await SmppSupport.StartBoundAsync(Smsc);
        const string text = "Привет 👋";

        var id = await server.SendTextAsync(text);
        var submit = (await Smsc.WaitForSubmitsAsync(1, Wait, Ct))[0];
        var delivered = await server.WaitForStatusAsync(id, "delivered");

        Assert.Equal(8, submit.DataCoding);
        Assert.Equal(Encoding.BigEndianUnicode.GetBytes(text), submit.ShortMessage);
        Assert.Equal("ucs2", (string)delivered["encoding"]!);
    }

    [Theory]
    [InlineData(SmscReceiptIdForm.Decimal)]
    [InlineData(SmscReceiptIdForm.StripLeadingZeros)]
    [InlineData(SmscReceiptIdForm.PadLeadingZeros)]
    public async Task TextReceipt_FindsItsMessage_WhateverFormTheIdComesBackIn(SmscReceiptIdForm idForm)
    {
        await Smsc.SetOptionsAsync(new SmscOptions { NextMessageId = 0xA1B2C }, Ct);
        await Smsc.SetReceiptsAsync(new SmscReceipts { Form = SmscReceiptForm.Text, IdForm = idForm }, Ct);
        await using var server = await SmppSupport.StartBoundAsync(Smsc);

        var id = await server.SendTextAsync("receipt id forms");

        await server.WaitForStatusAsync(id, "delivered");
    }

    [Fact]
    public async Task ALongText_GoesInTheSegmentsTheApiReports_WithOneConcatenationReference_AndIsDeliveredWhenEveryPartIs()
    {
        await Smsc.SetReceiptsAsync(new SmscReceipts(), Ct);
        await using var server = await SmppSupport.StartBoundAsync(Smsc);
        var text = string.Concat(Enumerable.Repeat("0123456789", 40)); // 400 septets: 3 parts of at most 153

        var id = await server.SendTextAsync(text);
        var submits = await Smsc.WaitForSubmitsAsync(3, Wait, Ct);
        var delivered = await server.WaitForStatusAsync(id, "delivered");

        Assert.Equal(3, (int)delivered["segments"]!);
        Assert.All(submits, s => Assert.Equal(0x40, s.EsmClass));
        var headers = submits.Select(s => s.ShortMessage[..6]).ToList();
        Assert.All(headers, h => Assert.Equal(new byte[] { 0x05, 0x00, 0x03 }, h[..3]));
        Assert.Single(headers.Select(h => h[3]).Distinct());
        Assert.Equal([3, 3, 3], headers.Select(h => (int)h[4]));
        Assert.Equal([1, 2, 3], headers.Select(h => (int)h[5]).Order());
        var rebuilt = string.Concat(submits.OrderBy(s => s.ShortMessage[5]).Select(s => Encoding.ASCII.GetString(s.ShortMessage[6..])));
        Assert.Equal(text, rebuilt);
    }

    [Fact]
    public async Task AMultipartMessage_WithOnePartUndelivered_IsUndelivered_WithTheReceiptsError()
    {
        await Smsc.SetReceiptsAsync(new SmscReceipts { Stat = "UNDELIV", Error = "107" }, Ct);
        await using var server = await SmppSupport.StartBoundAsync(Smsc);

        var id = await server.SendTextAsync(string.Concat(Enumerable.Repeat("x", 200)));
        var undelivered = await server.WaitForStatusAsync(id, "undelivered");

        Assert.Equal("dlr_107", (string)undelivered["error_code"]!);
    }

    [Fact]
    public async Task Throttling_IsRetriedUntilAccepted_AndTheMessageIsNeverFailed()
    {
        await Smsc.AddRuleAsync(SmscRule.Status(SmscCommandStatus.Throttled, count: 2), Ct);
        await using var server = await SmppSupport.StartBoundAsync(Smsc);

        var id = await server.SendTextAsync("throttled twice");
        await Smsc.WaitForSubmitsAsync(1, Wait, Ct);
        var between = await server.StatusAsync(id);
        var sent = await server.WaitForStatusAsync(id, "sent", timeoutSeconds: 20);
        var submits = await Smsc.GetSubmitsAsync(Ct);

        Assert.Equal("sending", between);
        Assert.Null(sent["error_code"]);
        Assert.Equal([SmscCommandStatus.Throttled, SmscCommandStatus.Throttled, 0u], submits.Select(s => s.CommandStatus ?? 99));
    }

    [Fact]
    public async Task ABurstOfMessages_IsEachSubmittedOnce_AndEachDeliveredByItsReceipt()
    {
        await Smsc.SetReceiptsAsync(new SmscReceipts(), Ct);
        await using var server = await SmppSupport.StartBoundAsync(Smsc, ("AgentMessage:RateLimits:Send:Burst", "1000"), ("AgentMessage:Delivery:DefaultPacePerSecond", "100000"));

        // Hex ids of all digits ("00000123") come back before they are recorded: each must still find
        // its own message, not the one whose id is its decimal reading ("7B").
        var ids = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => server.SendTextAsync($"burst {i}")));
        foreach (var id in ids)
        {
            await server.WaitForStatusAsync(id, "delivered");
        }

        var stats = await Smsc.GetStatsAsync(Ct);
        Assert.Equal(300, stats.Submits);
        Assert.Equal(0, server.Services.GetRequiredService<SmppInbound>().UnknownReceipts);
    }

    [Fact]
    public async Task APermanentRefusal_FailsTheMessage_WithTheCommandStatusInHex()
    {
        await Smsc.AddRuleAsync(SmscRule.Status(SmscCommandStatus.InvalidDestinationAddress), Ct);
        await using var server = await SmppSupport.StartBoundAsync(Smsc);

        var id = await server.SendTextAsync("no such destination");
        var failed = await server.WaitForStatusAsync(id, "failed");

        Assert.Equal("smpp_0x0000000b", (string)failed["error_code"]!);
    }

    [Fact]
    public async Task AMultipartMessage_WithAPartRefusedForGood_FailsAndItsRemainingPartsAreNotSubmitted()
    {
        await Smsc.AddRuleAsync(SmscRule.Status(0, count: 1), Ct);
        await Smsc.AddRuleAsync(SmscRule.Status(0x0Au), Ct);
        await using var server = await SmppSupport.StartBoundAsync(Smsc);

        var id = await server.SendTextAsync(string.Concat(Enumerable.Repeat("y", 400)));
        var failed = await server.WaitForStatusAsync(id, "failed");
        var submits = await Smsc.GetSubmitsAsync(Ct);

        Assert.Equal("smpp_0x0000000a", (string)failed["error_code"]!);
        Assert.Equal(2, submits.Count);
    }

    [Fact]
    public async Task AConnectionDroppedWithTheWindowFull_LosesNothing_AndLeavesNothingSending()
    {
        await Smsc.AddRuleAsync(SmscRule.Delayed(TimeSpan.FromMilliseconds(300), count: 5), Ct);
        await Smsc.AddRuleAsync(SmscRule.Close(count: 1), Ct);
        await using var server = await SmppSupport.StartBoundAsync(Smsc);

        var ids = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add(await server.SendTextAsync($"window {i}"));
        }

        foreach (var id in ids)
        {
            await server.WaitForStatusAsync(id, "sent", timeoutSeconds: 30);
        }

        var binds = (await Smsc.GetEventsAsync(Ct)).Count(e => e.Type == SmscEventTypes.Bind);
        Assert.True(binds >= 2, "the link bound again after the drop");
    }

    [Fact]
    public async Task EnquireLink_IsAnsweredAndSentWhenTheLinkIsIdle()
    {
        await using var server = await SmppSupport.StartBoundAsync(Smsc, ("AgentMessage:Carrier:Smpp:EnquireLinkInterval", "00:00:01"));

        var answer = await Smsc.SendEnquireLinkAsync(ct: Ct);
        var ours = await Smsc.WaitForEventAsync(e => e.Type == SmscEventTypes.EnquireLink, Wait, Ct);

        Assert.True(answer.Answered);
        Assert.Equal(SmscCommandId.EnquireLinkResp, answer.CommandId);
        Assert.NotNull(ours.Session);
    }

    [Fact]
    public async Task UnbindFromTheSmsc_IsAnswered_AndTheLinkBindsAgain()
    {
        await using var server = await SmppSupport.StartBoundAsync(Smsc);

        var answer = await Smsc.SendUnbindAsync(ct: Ct);
        await Smsc.WaitForBoundSessionsAsync(1, Wait, Ct);
        var id = await server.SendTextAsync("after an unbind");

        Assert.True(answer.Answered);
        Assert.Equal(SmscCommandId.UnbindResp, answer.CommandId);
        await server.WaitForStatusAsync(id, "sent");
    }

    [Fact]
    public async Task AnUnknownCommand_IsAnsweredWithGenericNack_AndTheLinkStaysUp()
    {
        await using var server = await SmppSupport.StartBoundAsync(Smsc);

        // command_id 0x00000077 (none in SMPP 3.4), sequence 0x1234.
        var answer = await Smsc.SendRawAsync(null, Convert.FromHexString("00000010000000770000000000001234"), ct: Ct);
        var id = await server.SendTextAsync("after a generic_nack");

        Assert.Equal(SmscCommandId.GenericNack, answer.CommandId);
        Assert.Equal(SmscCommandStatus.InvalidCommandId, answer.CommandStatus);
        Assert.Equal(0x1234u, answer.Sequence);
        await server.WaitForStatusAsync(id, "sent");
    }

    [Fact]
    public async Task ACommandLengthOutOfBounds_ClosesTheConnection_WhichIsReestablished()
    {
        await using var server = await SmppSupport.StartBoundAsync(Smsc);

        var answer = await Smsc.SendRawAsync(null, Convert.FromHexString("0000000800000015"), ct: Ct);
        await Eventually.HoldsAsync(async () => (await Smsc.GetEventsAsync(Ct)).Count(e => e.Type == SmscEventTypes.Bind) >= 2, Wait, Ct);
        await Smsc.WaitForBoundSessionsAsync(1, Wait, Ct);
        var id = await server.SendTextAsync("after garbage");

        Assert.True(answer.Closed);
        await server.WaitForStatusAsync(id, "sent");
    }

    [Fact]
    public async Task AReceiptForAnUnknownId_IsAcknowledged()
    {
        await using var server = await SmppSupport.StartBoundAsync(Smsc);

        var reply = await Smsc.SendDeliverSmAsync(new SmscDeliverSm
        {
            EsmClass = 0x04,
            SourceAddr = "15554443333",
            DestinationAddr = "15551112222",
            Text = "id:FFFF0000 sub:001 dlvrd:001 submit date:2612010000 done date:2612010001 stat:DELIVRD err:000 text:",
            Encoding = SmscTextEncoding.Latin1,
        }, Ct);

        Assert.Equal(SmscCommandId.DeliverSmResp, reply.CommandId);
        Assert.Equal(0u, reply.CommandStatus);
        Assert.Equal(1, server.Services.GetRequiredService<SmppInbound>().UnknownReceipts);
    }

    [Fact]
    public async Task AMobileOriginatedStop_OptsTheSenderOut_AndIsConfirmedBySubmitSmFromOurNumber()
    {
        await using var server = await SmppSupport.StartBoundAsync(Smsc);
        var consents = server.Services.GetRequiredService<IConsentRegistry>();

        var reply = await Smsc.SendDeliverSmAsync(Mo("Stop", SmscTextEncoding.Gsm), Ct);
        var submit = (await Smsc.WaitForSubmitsAsync(1, Wait, Ct))[0];
        var (_, list) = await server.Rest.CallAsync(Get("/v1/messages?tag=keyword-stop", TestServer.DevKey));

        Assert.Equal(0u, reply.CommandStatus);
        var record = await consents.GetAsync(DevSeed.OrganizationId, DeliverySupport.OrdinaryRecipient, Ct);
        Assert.False(record!.IsGranted);
        const string confirmation = "Development: you are unsubscribed and will receive no more messages. Reply START to resubscribe.";
        Assert.Equal((DevSeed.SenderNumber[1..], DeliverySupport.OrdinaryRecipient[1..]), (submit.SourceAddr, submit.DestinationAddr));
        Assert.Equal(Convert.ToHexString(Encoding.ASCII.GetBytes(confirmation)), submit.ShortMessageHex);
        var message = Assert.Single(list["data"]!["messages"]!.AsArray())!;
        Assert.Equal((confirmation, DevSeed.SenderNumber, DeliverySupport.OrdinaryRecipient), ((string)message["text"]!, (string)message["from"]!, (string)message["to"]!));
    }

    [Theory]
    [InlineData(SmscTextEncoding.Gsm)]
    [InlineData(SmscTextEncoding.Latin1)]
    [InlineData(SmscTextEncoding.Ucs2)]
    public async Task AMobileOriginatedText_IsAcknowledged_ChangesNoConsent_AndIsStoredAsAnInboundMessage(SmscTextEncoding encoding)
    {
        await using var server = await SmppSupport.StartBoundAsync(Smsc);
        var consents = server.Services.GetRequiredService<IConsentRegistry>();

        var reply = await Smsc.SendDeliverSmAsync(Mo("Ça va? Stop by later", encoding), Ct);
        var inbound = await InboundAsync(server);

        Assert.Equal(0u, reply.CommandStatus);
        Assert.True((await consents.GetAsync(DevSeed.OrganizationId, DeliverySupport.OrdinaryRecipient, Ct))!.IsGranted);
        var message = Assert.Single(inbound);
        Assert.Equal(
            ("Ça va? Stop by later", DeliverySupport.OrdinaryRecipient, DevSeed.SenderNumber, "received", "inbound", "sms", "gsm7", 1),
            ((string)message["text"]!, (string)message["from"]!, (string)message["to"]!, (string)message["status"]!, (string)message["direction"]!,
                (string)message["channel"]!, (string)message["encoding"]!, (int)message["segments"]!));
        Assert.Empty(message["media"]!.AsArray());
    }

    [Fact]
    public async Task ATwoPartMobileOriginatedStop_OptsOutOnlyOnceBothPartsArrive()
    {
        await using var server = await SmppSupport.StartBoundAsync(Smsc);
        var consents = server.Services.GetRequiredService<IConsentRegistry>();

        var second = await Smsc.SendDeliverSmAsync(MoPart("OP", reference: 0x42, part: 2), Ct);
        var afterOne = (await consents.GetAsync(DevSeed.OrganizationId, DeliverySupport.OrdinaryRecipient, Ct))!.IsGranted;
        var storedAfterOne = await InboundAsync(server);
        var first = await Smsc.SendDeliverSmAsync(MoPart("ST", reference: 0x42, part: 1), Ct);
        var afterBoth = (await consents.GetAsync(DevSeed.OrganizationId, DeliverySupport.OrdinaryRecipient, Ct))!.IsGranted;

        Assert.Equal((0u, 0u), (second.CommandStatus!.Value, first.CommandStatus!.Value));
        Assert.True(afterOne);
        Assert.Empty(storedAfterOne);
        Assert.False(afterBoth);
        Assert.Equal("STOP", (string)Assert.Single(await InboundAsync(server))["text"]!);
    }

    [Fact]
    public async Task AMobileOriginatedStopInADataSm_IsAnsweredWithDataSmResp_AndOptsTheSenderOut()
    {
        await using var server = await SmppSupport.StartBoundAsync(Smsc);
        var consents = server.Services.GetRequiredService<IConsentRegistry>();
        var dataSm = new DataSm
        {
            SourceTon = 1,
            SourceNpi = 1,
            SourceAddr = DeliverySupport.OrdinaryRecipient[1..],
            DestTon = 1,
            DestNpi = 1,
            DestAddr = DevSeed.SenderNumber[1..],
            DataCoding = 0,
            Tlvs = [new Tlv(TlvTag.MessagePayload, Encoding.ASCII.GetBytes("STOP"))],
            Sequence = 0x0777,
        };

        var reply = await Smsc.SendRawAsync(null, PduCodec.Encode(dataSm), TimeSpan.FromSeconds(5), Ct);

        Assert.Equal(0x80000103u, reply.CommandId);
        Assert.Equal(0u, reply.CommandStatus);
        Assert.Equal(0x0777u, reply.Sequence);
        Assert.False((await consents.GetAsync(DevSeed.OrganizationId, DeliverySupport.OrdinaryRecipient, Ct))!.IsGranted);
    }

    [Fact]
    public async Task Mms_IsRefusedAtAdmission_WithTheSmppGateway()
    {
        await using var server = await SmppSupport.StartBoundAsync(Smsc);

        var (send, sendBody) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"{{DevSeed.SenderNumber}}","to":"{{DeliverySupport.OrdinaryRecipient}}","text":"pic","media":["https://example.com/a.png"]}"""));
        var (upload, uploadBody) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages/media-upload", TestServer.DevKey,
            """{"mime_type":"image/png","byte_size":100}"""));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, send.StatusCode);
        Assert.Equal("MMS_DISABLED", (string)sendBody["error"]!["code"]!);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, upload.StatusCode);
        Assert.Equal("MMS_DISABLED", (string)uploadBody["error"]!["code"]!);
    }

    [Theory]
    [InlineData("AgentMessage:Carrier:Smpp:Host", "", "AgentMessage:Carrier:Smpp:Host is required")]
    [InlineData("AgentMessage:Carrier:Smpp:Password", "toolongpassword", "AgentMessage:Carrier:Smpp:Password is required (it may be empty), at most 8 characters")]
    [InlineData("AgentMessage:Carrier:Smpp:WindowSize", "0", "AgentMessage:Carrier:Smpp:WindowSize must be 1 to 10000")]
    [InlineData("AgentMessage:Carrier:Smpp:EnquireLinkInterval", "00:00:00.5", "AgentMessage:Carrier:Smpp:EnquireLinkInterval must be at least 00:00:01")]
    [InlineData("AgentMessage:Carrier:Gateway", "carrier-pigeon", "AgentMessage:Carrier:Gateway must be simulator or smpp")]
    public async Task BadSettings_StopTheStart_WithAClearMessage(string key, string value, string message)
    {
        var settings = SmppSupport.Settings(Smsc);
        settings[key] = value;

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => TestServer.StartAsync(settings));

        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SmppSettings_AreNotChecked_WithTheSimulator()
    {
        var options = new SmppOptions();

        Assert.NotEmpty(options.Problems());
        Assert.True(new SmppOptionsValidation(Microsoft.Extensions.Options.Options.Create(new CarrierGatewayOptions())).Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData(4 * 3600, "000000040000000R")]
    [InlineData(90061, "000001010101000R")]
    [InlineData(200 * 86400, "000099000000000R")]
    public void ValidityPeriod_IsAnSmppRelativeTime(int seconds, string expected) =>
        Assert.Equal(expected, SmppCarrierGateway.RelativeTime(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData("15554443333", "+15554443333")]
    [InlineData("+15554443333", "+15554443333")]
    [InlineData("ACME", "ACME")]
    public void SmppAddresses_BecomeE164(string address, string expected) => Assert.Equal(expected, SmppInbound.E164(address));

    [Theory]
    [InlineData("DELIVRD", "DELIVRD")]
    [InlineData("undeliv", "UNDELIV")]
    [InlineData("UNKNOWN", "UNKNOWN")]
    [InlineData("DELETED", "DELETED")]
    [InlineData("ACCEPTD", null)]
    [InlineData("ENROUTE", null)]
    public void ReceiptStates_ThatAreFinal_AreReported(string stat, string? expected) => Assert.Equal(expected, SmppInbound.FinalStatus(stat));

    /// <summary>The development organization's inbound messages from the ordinary recipient, newest first, over REST.</summary>
    private static async Task<List<System.Text.Json.Nodes.JsonNode>> InboundAsync(TestServer server)
    {
        var (response, body) = await server.Rest.CallAsync(Get($"/v1/messages?direction=inbound&from={Uri.EscapeDataString(DeliverySupport.OrdinaryRecipient)}", TestServer.DevKey));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. body["data"]!["messages"]!.AsArray().Select(m => m!)];
    }

    private static SmscDeliverSm Mo(string text, SmscTextEncoding encoding) => new()
    {
        SourceAddrTon = 1,
        SourceAddrNpi = 1,
        SourceAddr = DeliverySupport.OrdinaryRecipient[1..],
        DestAddrTon = 1,
        DestAddrNpi = 1,
        DestinationAddr = DevSeed.SenderNumber[1..],
        Text = text,
        Encoding = encoding,
        DataCoding = encoding switch { SmscTextEncoding.Latin1 => 3, SmscTextEncoding.Ucs2 => 8, _ => 0 },
    };

    private static SmscDeliverSm MoPart(string gsmText, byte reference, byte part) => Mo(gsmText, SmscTextEncoding.Gsm) with
    {
        EsmClass = 0x40,
        Text = null,
        ShortMessage = [0x05, 0x00, 0x03, reference, 2, part, .. Encoding.ASCII.GetBytes(gsmText)],
    };
}

using System.Net;
using AgentMessage.Server.Infrastructure.Webhooks;

namespace AgentMessage.Server.Tests.Infrastructure.Webhooks;

/// <summary>Every forbidden range, with the addresses just inside and just outside its edges.</summary>
public sealed class WebhookAddressesTests
{
    [Theory]
    // "this network" 0.0.0.0/8
    [InlineData("0.0.0.0")]
    [InlineData("0.255.255.255")]
    // private 10/8
    [InlineData("10.0.0.0")]
    [InlineData("10.1.2.3")]
    [InlineData("10.255.255.255")]
    // CGNAT 100.64/10
    [InlineData("100.64.0.0")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    // loopback 127/8
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.0")]
    [InlineData("127.255.255.255")]
    // link-local 169.254/16, cloud metadata included
    [InlineData("169.254.0.0")]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.255.255")]
    // private 172.16/12
    [InlineData("172.16.0.0")]
    [InlineData("172.31.255.255")]
    // IETF protocol assignments, documentation, 6to4 relay
    [InlineData("192.0.0.0")]
    [InlineData("192.0.0.255")]
    [InlineData("192.0.2.1")]
    [InlineData("192.88.99.1")]
    [InlineData("198.51.100.7")]
    [InlineData("203.0.113.255")]
    // private 192.168/16
    [InlineData("192.168.0.0")]
    [InlineData("192.168.255.255")]
    // benchmarking 198.18/15
    [InlineData("198.18.0.0")]
    [InlineData("198.19.255.255")]
    // multicast 224/4, reserved 240/4, broadcast
    [InlineData("224.0.0.0")]
    [InlineData("239.255.255.255")]
    [InlineData("240.0.0.0")]
    [InlineData("255.255.255.254")]
    [InlineData("255.255.255.255")]
    public void IPv4_InAForbiddenRange_IsForbidden(string address) =>
        Assert.True(WebhookAddresses.IsForbidden(IPAddress.Parse(address)), address);

    [Theory]
    [InlineData("1.0.0.0")]
    [InlineData("1.1.1.1")]
    [InlineData("8.8.8.8")]
    [InlineData("9.255.255.255")]   // below 10/8
    [InlineData("11.0.0.0")]        // above 10/8
    [InlineData("100.63.255.255")]  // below 100.64/10
    [InlineData("100.128.0.0")]     // above 100.64/10
    [InlineData("126.255.255.255")] // below 127/8
    [InlineData("128.0.0.0")]       // above 127/8
    [InlineData("169.253.255.255")] // below 169.254/16
    [InlineData("169.255.0.0")]     // above 169.254/16
    [InlineData("172.15.255.255")]  // below 172.16/12
    [InlineData("172.32.0.0")]      // above 172.16/12
    [InlineData("191.255.255.255")]
    [InlineData("192.0.1.255")]     // between 192.0.0/24 and 192.0.2/24
    [InlineData("192.0.3.0")]       // above 192.0.2/24
    [InlineData("192.167.255.255")] // below 192.168/16
    [InlineData("192.169.0.0")]     // above 192.168/16
    [InlineData("198.17.255.255")]  // below 198.18/15
    [InlineData("198.20.0.0")]      // above 198.18/15
    [InlineData("203.0.112.255")]   // below 203.0.113/24
    [InlineData("223.255.255.255")] // below 224/4
    public void IPv4_PublicUnicast_IsAllowed(string address) =>
        Assert.False(WebhookAddresses.IsForbidden(IPAddress.Parse(address)), address);

    [Theory]
    [InlineData("::")]                         // unspecified
    [InlineData("::1")]                        // loopback
    [InlineData("::2")]                        // IPv4-compatible 0.0.0.2: "this network"
    [InlineData("fc00::")]                     // unique-local fc00::/7, both halves
    [InlineData("fd00::1")]
    [InlineData("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("fe80::")]                     // link-local fe80::/10
    [InlineData("fe80::1")]
    [InlineData("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("fec0::1")]                    // site-local (deprecated)
    [InlineData("ff02::1")]                    // multicast
    [InlineData("ff00::")]
    [InlineData("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")] // unassigned, below fc00::/7
    [InlineData("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")] // just below global unicast 2000::/3
    [InlineData("4000::")]                     // just above it
    [InlineData("100::1")]                     // discard-only
    [InlineData("64:ff9b:1::1")]               // local-use NAT64
    [InlineData("2001:db8::1")]                // documentation
    [InlineData("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("3fff::1")]                    // documentation (RFC 9637)
    [InlineData("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")] // Teredo
    [InlineData("2001:20::1")]                 // ORCHIDv2
    // IPv4 inside IPv6, judged by the IPv4 address
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:100.64.0.1")]
    [InlineData("::ffff:0.0.0.0")]
    [InlineData("::127.0.0.1")]
    [InlineData("::10.1.2.3")]
    [InlineData("64:ff9b::127.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe")]         // 169.254.169.254
    [InlineData("64:ff9b::192.168.1.1")]
    [InlineData("2002:7f00:1::1")]             // 6to4 of 127.0.0.1
    [InlineData("2002:a00:1::")]               // 6to4 of 10.0.0.1
    public void IPv6_OutsidePublicUnicast_OrCarryingAForbiddenIPv4_IsForbidden(string address) =>
        Assert.True(WebhookAddresses.IsForbidden(IPAddress.Parse(address)), address);

    [Theory]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001:80b::200e")]
    [InlineData("2000::")]                                  // first of global unicast
    [InlineData("3fff:1000::")]                             // just above 3fff::/20
    [InlineData("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff")] // just below it
    [InlineData("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff")]  // just below 2001:db8::/32
    [InlineData("2001:db9::1")]                             // just above it
    [InlineData("2001:1::1")]                               // just above Teredo 2001::/32
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("::8.8.8.8")]
    [InlineData("64:ff9b::8.8.8.8")]
    [InlineData("2002:808:808::1")]                         // 6to4 of 8.8.8.8
    public void IPv6_PublicUnicast_IsAllowed(string address) =>
        Assert.False(WebhookAddresses.IsForbidden(IPAddress.Parse(address)), address);
}
